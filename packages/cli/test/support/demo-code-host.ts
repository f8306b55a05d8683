import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DirectoryMount } from '@software-factory/relayfile/directory-mount';
import { DEMO_REPOSITORY } from '../../src/local-setup.ts';

interface AgentEntry {
  workItemKey: string;
  branch: string;
  pid?: number;
}

/**
 * Plays the code host of `factory start --mount`: when the test says so, the pull request of a running
 * agent appears in the folder, ready for review, on the agent's own branch, in relayfile's layout. The
 * demo agent itself is told to take its time (FACTORY_DEMO_AGENT_DELAY_MS), so an item stays in flight
 * exactly as long as the test needs to look at it.
 */
export class DemoCodeHost {
  readonly #mount: DirectoryMount;
  readonly #agents: string;

  /** `fleetDir` is the local fleet's state folder (`<state>/fleet`). */
  constructor(mountDir: string, fleetDir: string) {
    this.#mount = new DirectoryMount(mountDir);
    this.#agents = path.join(fleetDir, 'agents');
  }

  /** Opens the agent's pull request; returns its URL. */
  async openPullRequest(agentId: string, number: number): Promise<string> {
    const agent = await this.#entry(agentId);
    const [owner, repo] = DEMO_REPOSITORY.split('/') as [string, string];
    const url = `https://github.com/${owner}/${repo}/pull/${number}`;
    const meta = {
      number,
      title: `${agent.workItemKey}: the demo change`,
      state: 'open',
      draft: false,
      merged: false,
      head: { ref: agent.branch },
      html_url: url,
    };
    await this.#mount.write(
      `/github/repos/${owner}/${repo}/pulls/${number}__${agent.workItemKey.toLowerCase()}/meta.json`,
      `${JSON.stringify(meta, null, 2)}\n`,
    );
    return url;
  }

  /** Ends every agent process still running (agents run detached and outlive the factory). */
  async killAgents(): Promise<void> {
    let ids: string[] = [];
    try {
      ids = await readdir(this.#agents);
    } catch {
      return;
    }
    for (const id of ids) {
      const pid = (await this.#entry(id).catch(() => undefined))?.pid;
      if (!pid) continue;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {}
    }
  }

  async #entry(agentId: string): Promise<AgentEntry> {
    if (!/^local-[0-9a-f]{24}$/.test(agentId)) throw new Error(`not an agent id: ${agentId}`);
    return JSON.parse(await readFile(path.join(this.#agents, agentId, 'agent.json'), 'utf8')) as AgentEntry;
  }
}
