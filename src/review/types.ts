/**
 * The review plan: what `edgstr review` shows the developer for each service before they decide
 * whether eventual consistency is acceptable (DESIGN.md §1 "Consult the developer").
 * Built by the pure {@link buildReviewPlan}; rendered by the terminal and HTML presenters.
 */
import type { Analysis, StateSet } from '../model/analysis.js';
import type { ServiceId } from '../model/service-id.js';

/** The three kinds of replicable state (DESIGN.md §1 "State isolation"). */
export type StateKind = 'table' | 'file' | 'global';

/** A few lines of the app's source around statements that touch a piece of state. */
export interface CodeFrame {
  /** App-relative path, as in analysis.json. */
  file: string;
  /** 1-based lines of the service's statements shown (marked in {@link text}). */
  lines: number[];
  /** Rendered by @babel/code-frame, without colour. */
  text: string;
  /** The helper the service calls that holds these lines (e.g. `insertDonut`), when not its own statements. */
  via?: string;
}

/** One piece of state a service would replicate, with the statements that touch it. */
export interface StateItem {
  kind: StateKind;
  /** Table name, app-relative file path, or global (`name` or `Class#field`). */
  name: string;
  reads: boolean;
  writes: boolean;
  /** Rows of the table in the analysis snapshot, when the snapshot has it. */
  rows?: number;
  frames: CodeFrame[];
  /** True when no statement mentions the state and {@link frames} show the service's statements instead. */
  framesAreFallback: boolean;
  /** Matching statements not shown (frames are capped to keep the view short). */
  omitted: number;
  /** Plain-language meaning of eventual consistency for this state. */
  note: string;
}

/** What one service would replicate, and what that means. */
export interface ServicePlan {
  id: ServiceId;
  method: string;
  route: string;
  stateful: boolean;
  replicable: boolean;
  reason: string | null;
  state: { reads: StateSet; writes: StateSet };
  items: StateItem[];
  /** Service-level notes (consistency, missing source, ...). */
  notes: string[];
  /** Issue 6: replicated state holding data the client did not send, i.e. what leaves the cloud. */
  exposure: string[];
  /** Previous decision from decisions.json, if any. */
  previous: boolean | null;
}

/** The whole review plan, in analysis.json order. */
export interface ReviewPlan {
  appDir: string;
  services: ServicePlan[];
  /** Problems met while building the plan that do not stop the review (e.g. missing source). */
  warnings: string[];
}

/** Input of the pure core: every artefact already read from disk. */
export interface ReviewInput {
  analysis: Analysis;
  /** App-relative path → source text; a missing file simply has no entry. */
  sources: ReadonlyMap<string, string>;
  /** Snapshot facts, when a snapshot exists. */
  snapshot: SnapshotFacts;
  /** Previous decisions (service id → accepted), when decisions.json exists. */
  previous: ReadonlyMap<string, boolean> | null;
}

/** What the snapshot tells about the state at analysis time. */
export interface SnapshotFacts {
  /** Table name → row count (from sqlite files in snapshot/). */
  tableRows: ReadonlyMap<string, number>;
  /** App-relative paths of the SQLite files in the snapshot (replicated as tables, never as files). */
  databases?: readonly string[];
}

/** One verdict after flags, prompts and previous decisions are combined. */
export interface Verdict {
  id: ServiceId;
  accepted: boolean;
  /** Where the verdict came from. */
  source: 'flag' | 'prompt' | 'previous' | 'default' | 'not-replicable';
}
