// Internal shapes of the rule modules (the public API is in index.ts).
import type { FieldError } from './field-error.js';
import type { Obj } from './checks.js';
import type { CelRule } from './cel.js';
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

/** Resolved context handed to the rules. */
export interface KindContext {
  operation: Operation;
  oldObject?: unknown;
  view?: ClusterView;
  name: string;
  namespace: string;
}

/** One entry of the rule catalogue (./catalogue.ts). */
export interface Rule {
  /** The id; the field errors it reports carry it (or `<id>.<detail>`), metrics and logs count by it. */
  id: string;
  /** The TypeScript check, run after the schema check: push errors and warnings. */
  check(o: Obj, ctx: KindContext, errors: FieldError[], warnings: string[]): void;
  /**
   * The same rule in CEL, where it needs only the object itself, keyed by the schema node it sits on:
   * "spec.x" a property, "spec.list[]" the items of a list, "spec.map{}" the values of a string map.
   * The CRD generator puts these into x-kubernetes-validations, so the API server enforces them
   * even while the webhook is down.
   */
  cel?: Readonly<Record<string, readonly CelRule[]>>;
}
