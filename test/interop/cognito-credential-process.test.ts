import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { startLocalIot, type LocalIot } from '../helpers/local-iot.js';

// The emulator runs in this process, so the peers must be run asynchronously.
const run = promisify(execFile);
const AWS = '/usr/bin/aws';

describe.skipIf(!existsSync(AWS))('credential_process: the AWS CLI v2 takes Cognito credentials from iotctl', () => {
  let local: LocalIot;
  beforeAll(async () => {
    local = await startLocalIot();
  });
  afterAll(async () => local?.close());

  it('aws configure export-credentials runs `iotctl cognito credentials --format process`', async () => {
    const pool = JSON.parse((await runCli(['--json', 'cognito', 'pool', 'create', 'cli', '--allow-unauthenticated'], { env: local.env })).stdout) as { identityPoolId: string };
    const dir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-awscfg-'));
    writeFileSync(
      path.join(dir, 'config'),
      `[profile cognito]\nregion = us-east-1\ncredential_process = ${process.execPath} ${BIN} cognito credentials --identity-pool-id ${pool.identityPoolId} --format process\n`,
    );
    const { stdout } = await run(AWS, ['configure', 'export-credentials', '--profile', 'cognito', '--format', 'process'], {
      env: { ...local.env, AWS_CONFIG_FILE: path.join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '' },
    });
    const creds = JSON.parse(stdout) as { AccessKeyId: string; SessionToken: string };
    expect(creds.AccessKeyId).toMatch(/^ASIA/);
    expect(creds.SessionToken.length).toBeGreaterThan(20);
    expect(local.emulator.testHooks.session(creds.AccessKeyId)).toBeDefined();
  });
});
