// Internal shapes of the rule modules (the public API is in index.ts).
import type { FieldError } from './field-error.js';
import type { Obj } from './checks.js';
import type { ClusterView } from './view.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface RuleContext {
  /** Default CREATE. DELETE and CONNECT are always allowed. */
  operation?: Operation;
  /** The stored object on UPDATE (or DELETE). */
  oldObject?: unknown;
  /** Other objects of the four kinds. Undefined: cross-object rules are skipped, with a warning. */
  view?: ClusterView;
  /** 'error' in the offline CLI; 'ignore' (default) in the webhook, where the API server prunes unknown fields. */
  unknownFields?: 'error' | 'ignore';
  /** Request namespace/name; default metadata.namespace/metadata.name. */
  namespace?: string;
  name?: string;
}

/** Resolved context handed to the kind modules. */
export interface KindContext {
  operation: Operation;
  oldObject?: unknown;
  view?: ClusterView;
  name: string;
  namespace: string;
}

export interface KindRules {
  /** At most one object of this kind may exist in avi-system. */
  singleton?: boolean;
  /** Semantic rules, run after the schema check. Push errors and warnings. */
  validate(o: Obj, ctx: KindContext, errors: FieldError[], warnings: string[]): void;
}
