/**
 * Key ranges by node id (DESIGN.md §8). Generated primary keys are laid out in slots
 * (table-schema.ts): two replicas that allocate in the same slot hand out the same keys, and
 * concurrent inserts become one row. Operators name edges as they like (EDGSTR_NODE_ID, or
 * the hostname), so a slot cannot come from the name or from the generated edge files alone:
 * the cloud is the only one that hands slots out. It grants each node id one slot on first
 * contact and keeps it in its data dir, so a node id keeps its slot across restarts of either
 * side, and no two node ids ever hold the same slot.
 *
 * An edge claims the slot it believes it has (from its own data dir, or its generated edge
 * file); the claim is granted when that slot is not held by another node id. The generated
 * edges' slots are reserved for their node ids from the start (the cloud config lists them), so
 * an operator-named edge that happens to connect first does not take them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurable } from './util.js';
import { SLOTS } from './table-schema.js';

const FILE = 'key-ranges.json';

/** Cloud: the slot of every node id it has seen (or reserved), persisted in its data dir. */
export class KeyRangeRegistry {
  private readonly byNode = new Map<string, number>();

  constructor(private readonly dataDir: string, reserved: Record<string, number> = {}) {
    for (const [nodeId, slot] of Object.entries(reserved)) this.byNode.set(nodeId, slot);
    const file = join(dataDir, FILE);
    if (existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { ranges?: Record<string, unknown> };
      for (const [nodeId, slot] of Object.entries(saved.ranges ?? {})) {
        if (typeof slot === 'number' && isEdgeSlot(slot)) this.byNode.set(nodeId, slot);
      }
    }
  }

  /**
   * The slot of `nodeId`: its own if it has one; else the slot it claims when no other node id
   * holds it; else the lowest free one. null when every slot is taken.
   */
  grant(nodeId: string, claim: number | null): number | null {
    const own = this.byNode.get(nodeId);
    if (own !== undefined) return own;
    const taken = new Set(this.byNode.values());
    let slot: number | null = claim !== null && isEdgeSlot(claim) && !taken.has(claim) ? claim : null;
    for (let s = 1; slot === null && s < SLOTS; s++) if (!taken.has(s)) slot = s;
    if (slot === null) return null;
    this.byNode.set(nodeId, slot);
    writeFileDurable(join(this.dataDir, FILE), `${JSON.stringify({ ranges: Object.fromEntries(this.byNode) }, null, 2)}\n`);
    return slot;
  }
}

/** Edge: the slot the cloud granted this node id, kept in the edge's data dir (null: none yet). */
export function readGrantedRange(dataDir: string, nodeId: string): number | null {
  const file = join(dataDir, 'key-range.json');
  if (!existsSync(file)) return null;
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { nodeId?: unknown; rangeIndex?: unknown };
    // A data dir moved to another node id keeps nothing of the old grant.
    return saved.nodeId === nodeId && typeof saved.rangeIndex === 'number' && isEdgeSlot(saved.rangeIndex) ? saved.rangeIndex : null;
  } catch {
    return null;
  }
}

export function writeGrantedRange(dataDir: string, nodeId: string, rangeIndex: number): void {
  writeFileDurable(join(dataDir, 'key-range.json'), `${JSON.stringify({ nodeId, rangeIndex })}\n`);
}

export function isEdgeSlot(slot: number): boolean {
  return Number.isInteger(slot) && slot >= 1 && slot < SLOTS;
}
