// Option objects merged over defaults. A plain spread (`{ ...defaults, ...given }`)
// lets a caller that forwards an unset option (`{ retryPeriodMs: opts.retryPeriodMs }`)
// erase the default with `undefined`; withDefaults() keeps the default instead.

type Merged<D, G> = Omit<D, keyof G> & { [K in keyof G & keyof D]-?: Exclude<G[K], undefined> | D[K] } & Omit<G, keyof D>;

/** `defaults` overlaid with the entries of `given` whose value is not `undefined`. */
export function withDefaults<D extends object, G extends object>(defaults: D, given: G | undefined): Merged<D, G> {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  if (given) for (const [k, v] of Object.entries(given)) if (v !== undefined) out[k] = v;
  return out as Merged<D, G>;
}
