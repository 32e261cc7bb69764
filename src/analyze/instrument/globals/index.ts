/** Plugin: probes on module-level bindings + getters/setters for checkpoint/restore. */
import { traverse } from '../../../util/babel.js';
import type * as t from '@babel/types';
import type { InstrumentContext } from '../probe-table.js';
import { globalsVisitor } from './transform.js';

export function instrumentGlobals(ast: t.File, ctx: InstrumentContext): void {
  traverse(ast, globalsVisitor(ctx));
}
