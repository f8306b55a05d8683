import type { TenantConfig } from '../config/config-schema.ts';

/** What a GitHub App manifest says (https://docs.github.com/en/apps/sharing-github-apps/registering-a-github-app-from-a-manifest). */
export interface GithubAppManifest {
  name: string;
  url: string;
  hook_attributes: { url: string; active: boolean };
  redirect_url: string;
  public: false;
  default_permissions: Record<string, 'read' | 'write'>;
  default_events: string[];
}

/**
 * The permissions and events of exactly what the tenant's GitHub roles call: the output target reads
 * pull requests and their reviews' remarks, writes one comment per review feedback round on them, and
 * hears `pull_request`, `pull_request_review`, `issue_comment` (a comment addressed to the agent) and the
 * check events its `feedback.checks` names (`workflow_run` needs Actions read, `check_suite` and
 * `check_run` need Checks read); the GitHub Issues intake reads, labels, closes and comments on issues
 * and hears `issues` and `issue_comment`; the github-actions fleet dispatches, lists and cancels
 * workflow runs and hears `workflow_run`. Metadata read is what every App holds. Nothing reads
 * repository contents: agents push with their own token.
 */
export function githubAppAccess(
  tenant: TenantConfig,
): Pick<GithubAppManifest, 'default_permissions' | 'default_events'> {
  const permissions: Record<string, 'read' | 'write'> = { metadata: 'read' };
  const events = new Set<string>();
  const grant = (name: string, level: 'read' | 'write') => {
    if (permissions[name] !== 'write') permissions[name] = level;
  };
  const output = tenant.outputTarget;
  if (output.type === 'github') {
    grant('pull_requests', 'write');
    for (const event of ['pull_request', 'pull_request_review', 'issue_comment']) events.add(event);
    const checks = checkEventsOf(output);
    grant(checks === 'workflow_run' ? 'actions' : 'checks', 'read');
    events.add(checks);
  }
  if (tenant.intentProvider.type === 'github-issues') {
    grant('issues', 'write');
    events.add('issues');
    events.add('issue_comment');
  }
  if (tenant.fleet?.type === 'github-actions') {
    grant('actions', 'write');
    events.add('workflow_run');
  }
  return { default_permissions: permissions, default_events: [...events] };
}

/** The check events the GitHub output target's `feedback.checks` names (`workflow_run` by default). */
function checkEventsOf(output: TenantConfig['outputTarget']): string {
  const feedback = 'feedback' in output ? (output.feedback as { checks?: unknown } | undefined) : undefined;
  return typeof feedback?.checks === 'string' ? feedback.checks : 'workflow_run';
}

/** The loopback page that posts the manifest to GitHub, as GitHub's manifest flow asks (a form POST). */
export function manifestPage(action: string, manifest: GithubAppManifest): string {
  const escapeHtml = (text: string) =>
    text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<!doctype html>
<meta charset="utf-8">
<title>factory: create a GitHub App</title>
<h1>Create the factory’s GitHub App</h1>
<form id="manifest" method="post" action="${escapeHtml(action)}">
<input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(manifest))}">
<p>GitHub will ask you to name and confirm the App: <button type="submit">Continue on GitHub</button></p>
</form>
<script>document.getElementById('manifest').submit()</script>
`;
}
