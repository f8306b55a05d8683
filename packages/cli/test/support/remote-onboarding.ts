import { expect, it } from 'vitest';
import type { DeployScenario } from './deploy-scenario.ts';
import { eventually } from './factory-process.ts';
import type { RemoteTenantsWorld } from './remote-tenants-world.ts';

/** A running deployment the spawned CLI reaches over loopback HTTP. */
export interface DeployedApp {
  /** Its base URL, as `--remote` takes it. */
  url: string;
  /** What the app printed so far (its logs), when the test can see them. */
  output?(): string;
}

/**
 * The onboarding of two teams on a running deployment with nothing but the CLI and a browser, the same on
 * every runtime: `factory tenants add --remote` → `check --remote` (Linear needs-auth) → `connect --remote`
 * (the vendor's redirect lands on the deployment's callback) → `check --remote` (connected) → a signed
 * Linear webhook dispatches to the team's fleet → the pull request completes the item. Then a second team
 * the same way, beside the first, without a restart. The steps run in order and build on each other.
 */
export function remoteOnboardingSpec(world: RemoteTenantsWorld, deployed: () => DeployedApp): void {
  const admins = new Map<string, string>();
  const { alpha, beta } = world.teams;

  /** a. The operator adds the tenant; the deployment answers with its admin token, printed once. */
  async function add(id: string, team: DeployScenario): Promise<string> {
    const { url } = deployed();
    const added = await world.cli(['tenants', 'add', '--remote', url, world.tenantFile(id, team)], {
      operator: true,
    });
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(`Added tenant ${id} to ${new URL(url).host} (version 1).`);
    const adminToken = /keep it where you keep passwords:\n(\S+)\n/.exec(added.stdout)?.[1] ?? '';
    expect(adminToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(added.stdout.split(adminToken)).toHaveLength(2);
    expect(added.stdout).toContain(`factory connect <provider> --remote ${url} --tenant ${id}`);
    admins.set(id, adminToken);
    return adminToken;
  }

  /** b. With its own admin token, the tenant sees Linear waiting for a sign-in, and how to give it. */
  async function checkNeedsAuth(id: string): Promise<void> {
    const { url } = deployed();
    const checked = await world.cli(['check', '--remote', url, '--tenant', id], adminOf(id));
    expect(checked.stderr).toBe('');
    expect(checked.stdout).toMatch(
      new RegExp(
        `^linear\\s+\\S+\\s+✗ needs-auth\\s+factory connect linear --remote ${url} --tenant ${id}$`,
        'm',
      ),
    );
    expect(checked.stdout).toMatch(/^slack\s+\S+\s+✓ connected/m);
    expect(checked.stdout).toMatch(/^github\s+\S+\s+✓ connected/m);
    expect(checked.code).toBe(1);
  }

  /**
   * c. The sign-in runs on the deployment: the browser goes to the vendor, the vendor sends it back to the
   * deployment's callback, the deployment keeps the token; the CLI only opens the browser and waits.
   */
  async function connect(id: string): Promise<void> {
    const { url, output } = deployed();
    const connected = await world.cli(['connect', 'linear', '--remote', url, '--tenant', id], adminOf(id));
    expect(connected.stderr).toBe('');
    expect(connected.stdout).toMatch(/^linear: ✓ connected/m);
    expect(connected.code).toBe(0);
    const callback = `${url}/t/${id}/connect/linear/callback`;
    await eventually(() => world.browserVisits().some((visit) => visit.callback === callback) || undefined);
    expect(world.browserVisits().filter((visit) => visit.callback === callback)).toEqual([
      {
        consent: 302,
        callback,
        query: ['code', 'state'],
        status: 200,
        heading: 'linear is connected',
      },
    ]);
    // Neither the token nor the code, the verifier or the client secret reached the person's machine.
    const secrets = world.vendorSecrets();
    expect(secrets.some((secret) => secret.startsWith('lin_oauth_'))).toBe(true);
    const logs = output?.();
    if (logs !== undefined) expect(logs).toContain('remote sign-in completed');
    for (const secret of secrets) {
      expect(connected.stdout).not.toContain(secret);
      expect(connected.stderr).not.toContain(secret);
      // Nor a log line of the deployment.
      if (logs !== undefined) expect(logs).not.toContain(secret);
    }
  }

  /** d. Every provider of the tenant is connected now. */
  async function checkConnected(id: string): Promise<void> {
    const { url } = deployed();
    const checked = await world.cli(['check', '--remote', url, '--tenant', id], adminOf(id));
    expect(checked.stderr).toBe('');
    for (const provider of ['linear', 'slack', 'github'])
      expect(checked.stdout).toMatch(new RegExp(`^${provider}\\s+\\S+\\s+✓ connected`, 'm'));
    expect(checked.code).toBe(0);
  }

  /** e. Linear's signed webhook for the tenant → its fleet; GitHub's pull request → the item is done. */
  async function workItemDone(id: string, team: DeployScenario): Promise<void> {
    const { url } = deployed();
    const created = team.issueCreated();
    const delivered = await fetch(`${url}/t/${id}/webhooks/linear`, {
      method: 'POST',
      headers: created.headers,
      body: created.body,
    });
    expect(delivered.status).toBe(200);
    await eventually(() => (team.issueState() === 'In Progress' ? true : undefined));
    expect(team.fleetWrites()).toEqual(['POST /factory/agents']);

    const ready = team.pullRequestReady();
    const completed = await fetch(`${url}/t/${id}/webhooks/github`, {
      method: 'POST',
      headers: ready.headers,
      body: ready.body,
    });
    expect(completed.status).toBe(200);
    await eventually(() => (team.issueState() === 'Done' ? true : undefined));
    await eventually(() => (team.fleetWrites().length === 2 ? true : undefined));
    expect(team.fleetWrites()[1]).toMatch(/^DELETE \/factory\/agents\//);
  }

  function adminOf(id: string): { adminToken: string } {
    const adminToken = admins.get(id);
    if (!adminToken) throw new Error(`tenant ${id} was not added`);
    return { adminToken };
  }

  it('a. factory tenants add --remote: the operator adds a tenant, its admin token printed once', async () => {
    await add('alpha', alpha);
  });

  it('b. factory check --remote: Linear needs-auth (no token in the tenant), exit 1', async () => {
    await checkNeedsAuth('alpha');
  });

  it('c. factory connect linear --remote: the vendor redirects to the deployment, which keeps the token; the CLI never sees it', async () => {
    await connect('alpha');
  });

  it('d. factory check --remote: every provider connected, exit 0', async () => {
    await checkConnected('alpha');
  });

  it('e. a signed Linear webhook for the tenant dispatches to its fleet; the pull request completes the item', async () => {
    await workItemDone('alpha', alpha);
  });

  it('f. a second tenant added the same way works beside the first, without a restart', async () => {
    await add('beta', beta);
    await checkNeedsAuth('beta');
    await connect('beta');
    await checkConnected('beta');
    await workItemDone('beta', beta);
    // The operator sees both, each with its own connections.
    const { url } = deployed();
    const listed = await world.cli(['tenants', 'list', '--remote', url], { operator: true });
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toMatch(/^alpha\s+store\s+1\nbeta\s+store\s+1$/m);
    expect(listed.code).toBe(0);
    const both = await world.cli(['check', '--remote', url], { operator: true });
    expect(both.stderr).toBe('');
    for (const id of ['alpha', 'beta'])
      for (const provider of ['linear', 'slack', 'github'])
        expect(both.stdout).toMatch(new RegExp(`^${id}\\s+${provider}\\s+\\S+\\s+✓ connected`, 'm'));
    expect(both.code).toBe(0);
    // The first team's item stayed done; the second team's fleet had only its own work.
    expect(alpha.issueState()).toBe('Done');
    expect(beta.fleetWrites()).toHaveLength(2);
  }, 90_000);
}
