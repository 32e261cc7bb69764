/** Plugin: statement-executed probes and value probes (entry/exit detection, EXEC facts). */
import { traverse } from '../../../util/babel.js';
import type * as t from '@babel/types';
import type { InstrumentContext } from '../probe-table.js';
import { valuesVisitor } from './transform.js';

export function instrumentValues(ast: t.File, ctx: InstrumentContext): void {
  traverse(ast, valuesVisitor(ctx));
}
