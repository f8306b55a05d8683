// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configs show ${…} references as they are written.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { traceIdFor } from '@software-factory/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_WORK_ITEMS, writeWorkItem } from '../src/demo/demo-work-items.ts';
import { ensureDemoRepository, localSetupYaml } from '../src/local-setup.ts';
import { FactoryProcess, runFactory } from './support/factory-process.ts';
import { OtlpReceiver } from './support/otlp-receiver.ts';
import { testFolder } from './support/temp-folder.ts';

const COLLECTOR_TOKEN = 'otlp-collector-token-that-must-never-be-logged';

let cwd: string;
let receiver: OtlpReceiver;
const running: FactoryProcess[] = [];

beforeEach(async () => {
  cwd = await testFolder('factory-otlp-');
  receiver = new OtlpReceiver();
});

afterEach(async () => {
  for (const factory of running.splice(0)) {
    factory.kill('SIGKILL');
    await factory.exited;
  }
  await receiver.close();
});

async function writeConfig(observability: string): Promise<{ mountDir: string }> {
  const mountDir = path.join(cwd, 'workspace');
  await mkdir(mountDir);
  const setup = { mountDir, stateDir: path.join(cwd, 'state'), repository: path.join(cwd, 'repository') };
  ensureDemoRepository(setup.repository);
  await writeFile(path.join(cwd, 'factory.config.yaml'), `${localSetupYaml(setup)}${observability}`);
  return { mountDir };
}

describe('factory start with observability.otlp', () => {
  it('exports the spans of a work item run, one trace from dispatch to done, to the collector', async () => {
    const endpoint = await receiver.start();
    const { mountDir } = await writeConfig(
      `observability:\n  otlp:\n    endpoint: ${endpoint}\n    headers: { authorization: "\${OTLP_TOKEN}" }\n`,
    );
    const factory = new FactoryProcess(['start', '--port', '0'], {
      cwd,
      env: { OTLP_TOKEN: `Bearer ${COLLECTOR_TOKEN}` },
    });
    running.push(factory);
    await factory.url();

    const [item] = DEMO_WORK_ITEMS;
    await writeWorkItem(mountDir, item!);
    await factory.waitForLog(
      (line) => line.msg === 'work item changed' && line.workItemId === item!.id && line.status === 'done',
    );
    factory.kill('SIGTERM');
    expect(await factory.exited).toEqual({ code: 0, signal: null });

    const run = receiver.spans.filter((span) => span.traceId === traceIdFor('local', item!.id, 1));
    const names = run.map((span) => span.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'handle work-item.changed',
        'effect set-state',
        'effect spawn',
        'fleet.spawn',
        'handle output.changed',
        'effect release-agent',
      ]),
    );
    const handled = run.filter((span) => span.name.startsWith('handle '));
    expect(handled.every((span) => span.attributes['factory.work_item.key'] === item!.key)).toBe(true);
    expect(new Set(handled.map((span) => span.parentSpanId)).size).toBe(1);
    expect(receiver.resources[0]).toMatchObject({ 'service.name': 'factory' });
    expect(receiver.headers.every((headers) => headers.authorization === `Bearer ${COLLECTOR_TOKEN}`)).toBe(
      true,
    );
    expect(factory.logs.find((line) => line.msg === 'exporting traces over OTLP')?.endpoint).toBe(
      `${endpoint}/v1/traces`,
    );
    expect(`${factory.stdout}${factory.stderr}`).not.toContain(COLLECTOR_TOKEN);
  });
});

describe('factory start refuses a wrong observability.otlp, with one line and nothing started', () => {
  it.each([
    [
      'an endpoint that is not an http(s) URL',
      'observability:\n  otlp:\n    endpoint: ftp://collector:4318\n',
      /endpoint.*expected the http\(s\) URL of an OTLP\/HTTP collector/,
    ],
    [
      'a header given as a literal',
      'observability:\n  otlp:\n    endpoint: http://127.0.0.1:4318\n    headers: { authorization: "Bearer abc" }\n',
      /authorization.*takes no literal value/,
    ],
    [
      'a header whose variable is not set',
      'observability:\n  otlp:\n    endpoint: http://127.0.0.1:4318\n    headers: { authorization: "${NO_SUCH_OTLP_TOKEN}" }\n',
      /NO_SUCH_OTLP_TOKEN/,
    ],
    [
      'an unknown field',
      'observability:\n  otlp:\n    endpoint: http://127.0.0.1:4318\n    protocol: grpc\n',
      /protocol/,
    ],
  ])('%s', async (_, observability, complaint) => {
    await writeConfig(observability);
    const { code, stderr, stdout } = await runFactory(['start', '--port', '0'], { cwd });
    expect(code).toBe(2);
    expect(stderr).toMatch(complaint);
    expect(stdout).toBe('');
    expect(receiver.spans).toEqual([]);
  });
});
