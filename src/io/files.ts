import { promises as fs } from 'node:fs';
import path from 'node:path';
import { IotctlError, usageError, ExitCode } from '../core/errors.js';

// Unique within this process; the pid keeps processes apart and 'wx' refuses any clash.
let tmpCounter = 0;

export interface WriteOptions {
  /** File mode; secrets use 0o600. */
  mode?: number;
  /** Refuse to replace an existing file unless true. */
  overwrite?: boolean;
  /** The flag that allows overwriting, for the error hint. */
  overwriteFlag?: string;
  /** Mode of folders made on the way (default: 0o700 for a secret file, else 0o777 less the umask). */
  dirMode?: number;
}

/**
 * Writes a file atomically: a temporary file in the same directory, fsync, then
 * rename. A crash never leaves a half-written file, and the mode is set before
 * any content is written, so a secret is never readable by others.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  // A folder made for a secret is private from the start, whatever the umask.
  await fs.mkdir(dir, { recursive: true, mode: options.dirMode ?? ((options.mode ?? 0o644) & 0o077 ? 0o777 : 0o700) });
  if (options.overwrite === false) await refuseToOverwrite([file], { overwrite: false, flag: options.overwriteFlag });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.${++tmpCounter}.tmp`);
  const mode = options.mode ?? 0o644;
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Refuses (exit 2) when one of the files exists and overwriting was not asked
 * for (--force): checked before any work, so nothing is made for nothing.
 */
export async function refuseToOverwrite(files: (string | undefined)[], options: { overwrite: boolean; flag?: string }): Promise<void> {
  if (options.overwrite) return;
  for (const file of files) {
    if (file !== undefined && (await exists(file))) {
      throw usageError('FILE_EXISTS', `${file} already exists; refusing to overwrite it.`, `pass ${options.flag ?? '--force'} to replace it`);
    }
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/** Reads a user-supplied file, turning I/O errors into one clear line. */
export async function readUserFile(file: string, what = 'file'): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    throw fileError(err, file, what);
  }
}

export function fileError(err: unknown, file: string, what = 'file'): IotctlError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return usageError('FILE_NOT_FOUND', `The ${what} ${file} does not exist.`, 'check the path');
  if (code === 'EACCES' || code === 'EPERM') return usageError('FILE_NOT_READABLE', `The ${what} ${file} cannot be read (permission denied).`);
  if (code === 'EISDIR') return usageError('FILE_IS_DIRECTORY', `The ${what} ${file} is a directory, not a file.`);
  return new IotctlError('FILE_ERROR', `Cannot use the ${what} ${file}: ${(err as Error).message}`, { exitCode: ExitCode.FAILURE, cause: err });
}
