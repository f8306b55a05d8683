import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEMO_CHANNEL } from '../local-setup.ts';
import type { DemoWorkItem } from './demo-work-items.ts';

const PERSON = 'U0DEMOPERSON';

export interface AskedQuestion {
  key: string;
  /** The question's message timestamp: the thread's id in the chat. */
  threadTs: string;
  text: string;
}

/** The questions the factory has posted in the demo channel (messages the write-back gave a `created`). */
export async function askedQuestions(
  mountDir: string,
  items: readonly DemoWorkItem[],
): Promise<AskedQuestion[]> {
  const folder = path.join(mountDir, 'slack', 'channels', DEMO_CHANNEL, 'messages');
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const asked: AskedQuestion[] = [];
  for (const name of names.filter((entry) => entry.endsWith('.json')).sort()) {
    let message: { text?: unknown; created?: unknown };
    try {
      message = JSON.parse(await readFile(path.join(folder, name), 'utf8')) as typeof message;
    } catch {
      continue;
    }
    if (typeof message.text !== 'string' || typeof message.created !== 'string') continue;
    const text = message.text;
    const item = items.find((candidate) => text.includes(`${candidate.key}:`));
    if (item) asked.push({ key: item.key, threadTs: message.created, text });
  }
  return asked;
}

/**
 * Answers a question the way a person's reply arrives through relayfile: a reply record under the
 * thread, `threads/<ts>/replies/<ts>/meta.json`. Answering twice writes the same file.
 */
export async function answerQuestion(mountDir: string, question: AskedQuestion, text: string): Promise<void> {
  // A reply is later than its question: one second on, as a person would take at least.
  const replyTs = `${Number(question.threadTs.split('.')[0]) + 1}.000001`;
  const folder = path.join(
    mountDir,
    'slack',
    'channels',
    DEMO_CHANNEL,
    'threads',
    question.threadTs.replace('.', '_'),
    'replies',
    replyTs.replace('.', '_'),
  );
  await mkdir(folder, { recursive: true });
  const reply = { ts: replyTs, thread_ts: question.threadTs, user: PERSON, text };
  await writeFile(path.join(folder, 'meta.json.partial'), `${JSON.stringify(reply, null, 2)}\n`);
  await rename(path.join(folder, 'meta.json.partial'), path.join(folder, 'meta.json'));
}
