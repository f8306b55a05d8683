import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface DemoWorkItem {
  id: string;
  key: string;
  title: string;
  description: string;
  /** What the demo's person answers when the factory asks about this item. */
  answer?: string;
  /** What the newcomer should see happen to it. */
  story: string;
}

/** Three items: one clear, one too vague to start, one that waits for the single agent slot. */
export const DEMO_WORK_ITEMS: readonly DemoWorkItem[] = [
  {
    id: '6f1c3a52-0d6e-4c4f-9a51-000000000001',
    key: 'DEMO-1',
    title: 'Add a dark mode toggle to the settings page',
    description:
      'Add a toggle on the settings page that switches the app between the light and the dark theme.\n\nAcceptance criteria: the choice is remembered across reloads and the toggle can be reached with the keyboard.',
    story: 'clear: dispatched at once',
  },
  {
    id: '6f1c3a52-0d6e-4c4f-9a51-000000000002',
    key: 'DEMO-2',
    title: 'Make search better',
    description: 'Search feels off.',
    answer:
      'Results should appear as you type, and the first result must be the exact title match when there is one. Done when the search tests cover both.',
    story: 'vague: a question is asked and answered first',
  },
  {
    id: '6f1c3a52-0d6e-4c4f-9a51-000000000003',
    key: 'DEMO-3',
    title: 'Fix the typo in the signup confirmation email',
    description:
      'The signup confirmation email says "recieve" instead of "receive".\n\nExpected behaviour: the email reads "receive"; done when the template is corrected and its snapshot test passes.',
    story: 'clear: waits in the queue behind maxInFlight: 1',
  },
];

/** The issue file as relayfile mounts the tracker: `/linear/issues/<identifier>__<uuid>.json`. */
export function workItemPath(item: Pick<DemoWorkItem, 'id' | 'key'>): string {
  return `/linear/issues/${item.key}__${item.id}.json`;
}

export function workItemFile(item: DemoWorkItem, updatedAt: Date): string {
  const number = Number(item.key.split('-')[1]);
  return `${JSON.stringify(
    {
      id: item.id,
      identifier: item.key,
      number,
      title: item.title,
      description: item.description,
      url: `https://linear.app/demo/issue/${item.key}`,
      updatedAt: updatedAt.toISOString(),
      state: { id: 'state-todo', name: 'Todo', type: 'unstarted' },
      team: { key: 'DEMO', name: 'Demo' },
      labels: [{ name: 'factory' }],
    },
    null,
    2,
  )}\n`;
}

/** Drops a work item into the folder, written whole (temporary file, then rename) like a sync would. */
export async function writeWorkItem(
  mountDir: string,
  item: DemoWorkItem,
  updatedAt = new Date(),
): Promise<void> {
  const file = path.join(mountDir, workItemPath(item));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.partial`, workItemFile(item, updatedAt));
  await rename(`${file}.partial`, file);
}
