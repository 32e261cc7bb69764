/** Plugin: `this.field` probes in class methods + instance registration at construction. */
import { traverse } from '../../../util/babel.js';
import type * as t from '@babel/types';
import type { InstrumentContext } from '../probe-table.js';
import { thisFieldsVisitor } from './transform.js';

export function instrumentThisFields(ast: t.File, ctx: InstrumentContext): void {
  traverse(ast, thisFieldsVisitor(ctx));
}
