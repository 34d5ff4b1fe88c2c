/** The process's standard streams and environment, injectable so the CLI can run in-process in tests. */
export interface OutStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
  on?(event: 'error', listener: (err: Error) => void): unknown;
}

export interface InStream extends NodeJS.ReadableStream {
  isTTY?: boolean;
}

export interface Streams {
  stdout: OutStream;
  stderr: OutStream;
  stdin: InStream;
  env: NodeJS.ProcessEnv;
}

export function processStreams(): Streams {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}
