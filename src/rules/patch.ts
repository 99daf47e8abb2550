// RFC 6902 diff between two JSON values, with the same operations in the same
// order as fast-json-patch's compare(), but without recursion: request bodies
// may nest thousands of levels deep, which overflows the stack of a recursive walk.
import type { Operation } from 'fast-json-patch';
import { deepCopy } from './defaults.js';

function keysOf(v: object): string[] {
  if (!Array.isArray(v)) return Object.keys(v);
  const keys = new Array<string>(v.length);
  for (let i = 0; i < v.length; i++) keys[i] = String(i);
  return keys;
}

function escape(key: string): string {
  return key.includes('/') || key.includes('~') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;
}

/** The JSON pointer of `key` below `path`; built only for a subtree to walk or an operation, as most keys are unchanged. */
function pointer(path: string, key: string): string {
  return `${path}/${escape(key)}`;
}

function copy(v: unknown): unknown {
  if (v === undefined) return null;
  return v !== null && typeof v === 'object' ? deepCopy(v) : v;
}

interface Frame {
  mirror: Record<string, unknown>;
  obj: Record<string, unknown>;
  path: string;
  oldKeys: string[];
  /** Next old key to look at (counting down, as fast-json-patch does). */
  t: number;
  deleted: boolean;
}

export function compare(tree1: unknown, tree2: unknown): Operation[] {
  const patches: Operation[] = [];
  const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
  const frame = (mirror: object, obj: object, path: string): Frame => {
    const oldKeys = keysOf(mirror);
    return { mirror: mirror as Record<string, unknown>, obj: obj as Record<string, unknown>, path, oldKeys, t: oldKeys.length - 1, deleted: false };
  };
  const stack: Frame[] = [];
  if (tree1 !== tree2) stack.push(frame(tree1 as object, tree2 as object, ''));
  while (stack.length) {
    const f = stack[stack.length - 1]!;
    if (f.t >= 0) {
      const key = f.oldKeys[f.t--]!;
      const oldVal = f.mirror[key];
      if (has(f.obj, key) && !(f.obj[key] === undefined && oldVal !== undefined && !Array.isArray(f.obj))) {
        const newVal = f.obj[key];
        if (oldVal === newVal) continue;
        if (typeof oldVal === 'object' && oldVal !== null && typeof newVal === 'object' && newVal !== null && Array.isArray(oldVal) === Array.isArray(newVal)) {
          stack.push(frame(oldVal, newVal, pointer(f.path, key)));
        } else {
          patches.push({ op: 'replace', path: pointer(f.path, key), value: copy(newVal) });
        }
      } else if (Array.isArray(f.mirror) === Array.isArray(f.obj)) {
        patches.push({ op: 'remove', path: pointer(f.path, key) });
        f.deleted = true;
      } else {
        patches.push({ op: 'replace', path: f.path, value: f.obj });
      }
      continue;
    }
    stack.pop();
    const newKeys = keysOf(f.obj);
    if (!f.deleted && newKeys.length === f.oldKeys.length) continue;
    for (const key of newKeys) {
      if (!has(f.mirror, key) && f.obj[key] !== undefined) patches.push({ op: 'add', path: pointer(f.path, key), value: copy(f.obj[key]) });
    }
  }
  return patches;
}
