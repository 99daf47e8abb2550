// Status write-back on the amko CRs: a merge patch of the /status subresource,
// falling back to the main resource when the CRD has no status subresource
// (404 on /status while the object exists).
import type { KindName } from '../api/kinds.js';
import type { KubeClient } from './client.js';
import { isStatus } from './errors.js';
import { crPath } from './paths.js';

/** Merge-patches `status` onto a CR. Returns false when the object is gone; throws on any other failure. */
export async function patchStatus(
  client: KubeClient,
  kind: KindName,
  namespace: string,
  name: string,
  status: Record<string, unknown>,
  fieldManager?: string,
): Promise<boolean> {
  const opts = { body: { status }, contentType: 'application/merge-patch+json' };
  const query = fieldManager ? `?fieldManager=${encodeURIComponent(fieldManager)}` : '';
  try {
    await client.request('PATCH', `${crPath(kind, namespace, name)}/status${query}`, opts);
    return true;
  } catch (err) {
    if (!isStatus(err, 404)) throw err;
  }
  try {
    await client.request('PATCH', `${crPath(kind, namespace, name)}${query}`, opts);
    return true;
  } catch (err) {
    if (isStatus(err, 404)) return false;
    throw err;
  }
}
