/**
 * Certificates a provisioning run made and had not activated yet, remembered
 * on this machine (provisioning.json in the config directory) until the run
 * ends either way. A run that was killed leaves its certificate listed, so
 * the next run for that thing can remove it, knowing for certain that iotctl
 * made it: a certificate never listed here is never touched.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../io/files.js';

/** What provisioning needs: the ids a thing's earlier runs left, and marking them. */
export interface PendingCertificates {
  list(): Promise<string[]>;
  add(certificateId: string): Promise<void>;
  remove(certificateId: string): Promise<void>;
}

type Journal = Record<string, string[]>;

/** The journal of one thing on one control plane (`key`, e.g. `<endpoint or region>|<thing>`), in `dir`. */
export function pendingCertificates(dir: string, key: string): PendingCertificates {
  const file = path.join(dir, 'provisioning.json');
  const read = async (): Promise<Journal> => {
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as unknown;
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.assign(Object.create(null) as Journal, parsed) : Object.create(null);
    } catch {
      return Object.create(null); // missing or damaged: nothing is known to be ours
    }
  };
  const change = async (edit: (ids: string[]) => string[]) => {
    const journal = await read();
    const ids = edit(Array.isArray(journal[key]) ? journal[key]!.filter((id) => typeof id === 'string') : []);
    if (ids.length > 0) journal[key] = ids;
    else delete journal[key];
    await writeFileAtomic(file, JSON.stringify(journal, null, 2) + '\n', { mode: 0o600 });
  };
  return {
    list: async () => {
      const ids = (await read())[key];
      return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
    },
    add: (id) => change((ids) => [...ids.filter((x) => x !== id), id]),
    remove: (id) => change((ids) => ids.filter((x) => x !== id)),
  };
}
