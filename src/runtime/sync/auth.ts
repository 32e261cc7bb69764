import { createHash, timingSafeEqual } from 'node:crypto';
import { NODE_ID } from './transport.js';

/**
 * Constant-time check of a presented token. Both sides are hashed first so that
 * timingSafeEqual gets equal lengths and the secret's length does not leak either.
 */
export function tokenMatches(presented: unknown, secret: string): boolean {
  if (typeof presented !== 'string' || secret.length === 0) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}

/** The peer's node id from its handshake, or null if the handshake must be refused. */
export function authenticate(auth: unknown, secret: string): string | null {
  if (auth === null || typeof auth !== 'object') return null;
  const { token, nodeId } = auth as Record<string, unknown>;
  if (!tokenMatches(token, secret)) return null;
  if (typeof nodeId !== 'string' || !NODE_ID.test(nodeId)) return null;
  return nodeId;
}
