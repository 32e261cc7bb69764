/**
 * The code snippets the plugins insert, built once with @babel/template (never by string
 * concatenation of user code). `__edgstr$` is the tracer's runtime object, bound per module by
 * the prelude.
 */
import * as t from '@babel/types';
import { template } from '../../util/babel.js';

const opts = { placeholderPattern: false as const, placeholderWhitelist: new Set(['ID', 'EXPR', 'RECV', 'NAME', 'FILE', 'LIST']) };

export const prelude = template.statement(`const __edgstr$ = globalThis.__edgstr$rt;`, opts);
/** Read of a module-level binding: a flag check, slow path only on the first read per execution. */
export const globalRead = template.expression(`(__edgstr$.gr[ID] || __edgstr$.R(ID), EXPR)`, opts);
export const globalWrite = template.expression(`(__edgstr$.gw[ID] || __edgstr$.W(ID), EXPR)`, opts);
export const globalReadWrite = template.expression(
  `(__edgstr$.gr[ID] || __edgstr$.R(ID), __edgstr$.gw[ID] || __edgstr$.W(ID), EXPR)`,
  opts,
);
/** Member call on a binding: classified at run time by the receiver's type and the method name. */
export const globalMemberCall = template.expression(`__edgstr$.m(ID, RECV, NAME)`, opts);
export const moduleRegistration = template.statement(`__edgstr$.mod(FILE, LIST);`, opts);
export const fieldRead = template.expression(`(__edgstr$.tR(ID, this), EXPR)`, opts);
export const fieldWrite = template.expression(`(__edgstr$.tW(ID, this), EXPR)`, opts);
export const fieldReadWrite = template.expression(`(__edgstr$.tR(ID, this), __edgstr$.tW(ID, this), EXPR)`, opts);
export const fieldMemberCall = template.expression(`__edgstr$.tm(ID, this, NAME, RECV)`, opts);
export const instanceField = template.expression(`__edgstr$.inst(this, NAME)`, opts);
export const stmtProbe = template.statement(`__edgstr$.s[ID] || __edgstr$.S(ID);`, opts);
export const valueProbe = template.expression(`__edgstr$.v(ID, EXPR)`, opts);

export const num = (n: number): t.NumericLiteral => t.numericLiteral(n);
export const str = (s: string): t.StringLiteral => t.stringLiteral(s);
