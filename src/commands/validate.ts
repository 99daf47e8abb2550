// `amko validate`: the admission rules, offline. Reads multi-document YAML/JSON
// files (or stdin), defaults each AMKO object as the mutating webhook would, then
// validates it with unknown fields reported. Cross-object rules are checked
// across the documents given: for singletons and GSLBHostRule FQDNs the first
// document wins, as if the files were applied in order.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import { AMKO_NAMESPACE, GROUP } from '../api/common.js';
import { KINDS, isKindName, type KindName } from '../api/kinds.js';
import { formatErrorBody, notSupported, type FieldError } from '../rules/field-error.js';
import { defaults, validate, type PolicyDenial } from '../rules/index.js';
import { staticView, type KubeObject } from '../rules/view.js';

export interface InputDocument {
  file: string;
  /** 0-based position of the document in its file. */
  index: number;
  object: unknown;
}

export class ReadError extends Error {}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Parses one file's text: multi-document YAML or JSON; `kind: List` documents are expanded. */
export function parseDocuments(text: string, file: string): InputDocument[] {
  const docs = parseAllDocuments(text);
  const out: InputDocument[] = [];
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, index) => {
    if (doc.errors.length) throw new ReadError(`${file}: document ${index + 1}: ${doc.errors[0]!.message}`);
    const object: unknown = doc.toJS();
    if (object === null || object === undefined) return;
    const o = object as { kind?: unknown; items?: unknown };
    if (typeof o === 'object' && typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items)) {
      for (const item of o.items) out.push({ file, index, object: item });
    } else out.push({ file, index, object });
  });
  return out;
}

/** Reads `-f` arguments: files, directories (recursively, *.yaml/*.yml/*.json, sorted) and `-` for stdin. */
export function readDocuments(inputs: readonly string[], stdin: () => string = () => readFileSync(0, 'utf8')): InputDocument[] {
  const out: InputDocument[] = [];
  for (const input of inputs) {
    if (input === '-') {
      out.push(...parseDocuments(stdin(), '<stdin>'));
      continue;
    }
    let st;
    try {
      st = statSync(input);
    } catch {
      throw new ReadError(`${input}: no such file or directory`);
    }
    const files = st.isDirectory() ? listFiles(input) : [input];
    for (const f of files) {
      let text: string;
      try {
        text = readFileSync(f, 'utf8');
      } catch (err) {
        throw new ReadError(`${f}: ${err instanceof Error ? err.message : String(err)}`);
      }
      out.push(...parseDocuments(text, f));
    }
  }
  return out;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(p));
    else if (EXTENSIONS.has(path.extname(entry.name))) out.push(p);
  }
  return out;
}

export interface ObjectResult {
  file: string;
  index: number;
  kind: string;
  name: string;
  namespace: string;
  valid: boolean;
  errors: FieldError[];
  forbidden?: PolicyDenial;
  warnings: string[];
}

export interface ValidateOutput {
  valid: boolean;
  results: ObjectResult[];
  /** Documents that are not AMKO objects (Secrets, ConfigMaps, ...). */
  skipped: Array<{ file: string; index: number; apiVersion: string; kind: string; name: string }>;
}

/** The AMKO kind of a document, or an error when it claims our group but is not one of our kinds/versions. */
function classify(o: Record<string, unknown>): { kind?: KindName; error?: FieldError; ours: boolean } {
  const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (group !== GROUP) return { ours: false };
  if (!isKindName(o.kind)) {
    return { ours: true, error: notSupported('kind', o.kind ?? '', Object.keys(KINDS), 'cli.kind') };
  }
  const expected = `${GROUP}/${KINDS[o.kind].version}`;
  if (apiVersion !== expected) return { ours: true, kind: o.kind, error: notSupported('apiVersion', apiVersion, [expected], 'cli.api-version') };
  return { ours: true, kind: o.kind };
}

const meta = (o: unknown): { name: string; namespace: string } => {
  const m = (o as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
  return {
    name: typeof m?.name === 'string' ? m.name : '',
    namespace: typeof m?.namespace === 'string' ? m.namespace : '',
  };
};

/** Defaults and validates every AMKO object among `docs`. */
export function validateDocuments(docs: readonly InputDocument[], opts: { newUuid?: () => string } = {}): ValidateOutput {
  const output: ValidateOutput = { valid: true, results: [], skipped: [] };
  const prepared: Array<{ doc: InputDocument; kind?: KindName; object: unknown; error?: FieldError; ours: boolean }> = docs.map((doc) => {
    const o = (doc.object ?? {}) as Record<string, unknown>;
    if (typeof o !== 'object' || Array.isArray(o)) return { doc, object: doc.object, ours: false };
    const c = classify(o);
    const object = c.kind ? defaults(c.kind, o, { operation: 'CREATE', newUuid: opts.newUuid }) : o;
    return { doc, kind: c.kind, object, error: c.error, ours: c.ours };
  });
  // The view: every AMKO object given (a missing namespace counts as avi-system, as with `kubectl apply -n avi-system`).
  const inView = prepared.map((p, i) => ({ ...p, i })).filter((p) => p.kind && !p.error);
  const asViewObject = (p: (typeof inView)[number]): KubeObject => {
    const o = p.object as KubeObject;
    const m = meta(o);
    return m.namespace ? o : { ...o, metadata: { ...(o.metadata ?? {}), namespace: AMKO_NAMESPACE } };
  };

  prepared.forEach((p, i) => {
    const m = meta(p.object);
    if (!p.ours) {
      const o = (p.object ?? {}) as Record<string, unknown>;
      output.skipped.push({ file: p.doc.file, index: p.doc.index, apiVersion: String(o.apiVersion ?? ''), kind: String(o.kind ?? ''), name: m.name });
      return;
    }
    const kindLabel = p.kind ?? String((p.object as Record<string, unknown>).kind ?? '');
    if (p.error || !p.kind) {
      output.results.push({ file: p.doc.file, index: p.doc.index, kind: kindLabel, name: m.name, namespace: m.namespace, valid: false, errors: p.error ? [p.error] : [], warnings: [] });
      output.valid = false;
      return;
    }
    const kind = p.kind;
    // Same-kind objects only count when they come earlier ("the first one wins").
    const view = staticView(inView.filter((v) => v.i !== i && (v.kind !== kind || v.i < i)).map(asViewObject));
    const r = validate(kind, p.object, { operation: 'CREATE', view, unknownFields: 'error' });
    const valid = r.errors.length === 0 && !r.forbidden;
    if (!valid) output.valid = false;
    const result: ObjectResult = { file: p.doc.file, index: p.doc.index, kind, name: m.name, namespace: m.namespace, valid, errors: r.errors, warnings: r.warnings };
    if (r.forbidden) result.forbidden = r.forbidden;
    output.results.push(result);
  });
  return output;
}

/** `<file>: <Kind>/<name>: <field>: <message>` lines; warnings as `... warning: <text>`. */
export function formatText(out: ValidateOutput): string[] {
  const lines: string[] = [];
  for (const r of out.results) {
    const prefix = `${r.file}: ${r.kind}/${r.name}`;
    if (r.forbidden) lines.push(`${prefix}: ${r.forbidden.field}: Forbidden: ${r.forbidden.message}`);
    for (const e of r.errors) lines.push(`${prefix}: ${e.field}: ${formatErrorBody(e)}`);
    for (const w of r.warnings) lines.push(`${prefix}: warning: ${w}`);
    if (r.valid) lines.push(`${prefix}: valid`);
  }
  return lines;
}

/** JSON output: errors with their Kubernetes cause reason and rendered message. */
export function toJson(out: ValidateOutput): unknown {
  return {
    valid: out.valid,
    results: out.results.map((r) => ({
      ...r,
      errors: r.errors.map((e) => ({ ...e, message: formatErrorBody(e) })),
    })),
    skipped: out.skipped,
  };
}

/** Commander's repeatable option: every value in order. */
export const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('default and validate AMKO manifests offline (exit 0 valid, 1 invalid, 2 usage or read error)')
    .requiredOption('-f, --filename <path>', 'file, directory or - (stdin); repeatable', collect)
    .option('-o, --output <format>', 'text or json', 'text')
    .action((o: { filename: string[]; output: string }) => {
      if (o.output !== 'text' && o.output !== 'json') {
        console.error(`amko validate: --output must be text or json, not ${JSON.stringify(o.output)}`);
        process.exitCode = 2;
        return;
      }
      let docs: InputDocument[];
      try {
        docs = readDocuments(o.filename);
      } catch (err) {
        console.error(`amko validate: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 2;
        return;
      }
      const out = validateDocuments(docs);
      if (o.output === 'json') process.stdout.write(`${JSON.stringify(toJson(out), null, 2)}\n`);
      else {
        const lines = formatText(out);
        if (out.results.length === 0) lines.push('no AMKO objects found');
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      process.exitCode = out.valid ? 0 : 1;
    });
}
