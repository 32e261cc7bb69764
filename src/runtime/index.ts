/**
 * The edgstr runtime, copied into generated edge and cloud projects (as `./edgstr/`).
 * Generated code imports only from here; see README.md.
 */
import type { RegisterGlobal, ReplicaConfig } from './api.js';
import { EdgstrReplica, registerProcessGlobal } from './replica.js';

export type { Health, HealthMemory, HealthOptions, LocalTx, RegisterGlobal, ReplicaConfig, ReplicatedDatabase, Replica, Role } from './api.js';
export { EdgstrReplica } from './replica.js';
export type { Connection, Endpoint } from './sync/transport.js';
export { createMemoryNetwork } from './sync/memory-transport.js';
export { listenSocketIo, dialSocketIo, SYNC_PATH } from './sync/socketio-transport.js';

/**
 * Opens the replicated state (tables, files, globals), catches up with what happened while the
 * process was down and, on an edge, connects to the cloud. Resolves once the replica serves.
 */
export async function startReplica(config: ReplicaConfig): Promise<EdgstrReplica> {
  const replica = new EdgstrReplica(config);
  try {
    await replica.start();
  } catch (err: unknown) {
    await replica.close().catch(() => undefined);
    throw err;
  }
  return replica;
}

/** Registers a replicated global for every replica of this process (see api.ts). */
export const registerGlobal: RegisterGlobal = (name, get, set) => registerProcessGlobal(name, get, set);
export { AFTER_HEADER, HEADS_HEADER, EdgeSession, holdForSession, sessionOptionsFromEnv } from './session-barrier.js';
export type { SessionOptions } from './session-barrier.js';
export { PLACE_HEADER, SERVICE_MS_HEADER, Placement, placementOptionsFromEnv } from './placement.js';
export type { PlacedService, PlacementOptions, Probe, Routing, ServicePlacementView, Side } from './placement.js';
export { PLACEMENT_PATH, createPlacement, noteForwarded, placementApi, reportServiceTime, startPlacementLoop, testLocalDelayMs } from './placement-http.js';
export type { PlacementHooks } from './placement-http.js';
export { RwLock } from './rw-lock.js';
export { dispatchInProcess } from './in-process-dispatch.js';
export type { DispatchAnswer, DispatchPeer, DispatchRequest } from './in-process-dispatch.js';
