// biome-ignore-all lint/suspicious/noTemplateCurlyInString: descriptions write ${NAME} references literally.

/**
 * The texts of the config JSON Schema's descriptions, by key. The providers' schemas carry only the key
 * (`z.describe("#fleet.command")`): the same schemas parse configs in every bundled runtime (a Worker, a
 * Lambda), which need no prose, and only the JSON Schema generator (`npm run schema -w
 * @software-factory/cli`) reads this file, through `expandFieldDocs`.
 */
export const FIELD_DOCS: Readonly<Record<string, string>> = {
  comments: 'Ask on the work item itself, through the intake; replies come with the intake’s webhooks.',
  'github-issues': 'GitHub Issues of one or more repositories, through the REST API and webhooks.',
  'github-issues.token': 'A GitHub token; else the token `factory connect github-issues` stored.',
  'github-issues.webhookSecret': 'The secret of the GitHub webhook (issues, issue_comment).',
  'github-app.appId': 'The App id (a number, or a ${NAME} reference).',
  'github-app.privateKey': 'The App’s private key (PEM), as a ${NAME} reference only.',
  'github-app.installationId': 'The installation to act as; found from each repository when left out.',
  'github-app':
    'Act as a GitHub App installation instead of a personal token: { appId, privateKey: ${GITHUB_APP_PRIVATE_KEY} }, or {} for the App `factory connect github --app` stored.',
  'github-feedback.botLogins':
    'The logins the factory and its agents act as: a comment that @mentions one is addressed to the agent; their own comments, reviews and pushes are never feedback.',
  'github-feedback.commandPrefix': 'A pull request comment that starts with it is addressed to the agent.',
  'github-feedback.checks':
    'Which check events report CI failures: workflow_run (GitHub Actions, one per workflow), check_suite (one per app and commit) or check_run (one per job, any CI). The others are ignored.',
  'github-feedback':
    'Review feedback on the pull requests: reviews, comments addressed to the agent, failed checks and pushes by people. Whose words count: trustedAuthors (author_association, default OWNER, MEMBER, COLLABORATOR).',
  'github.token': 'A GitHub token; else the token `factory connect github` stored.',
  'github.webhookSecret': 'The secret of the GitHub webhook.',
  'github.repositories': 'The owner/repo names whose pull requests the factory follows; all when absent.',
  github:
    'GitHub pull requests: through its REST API and webhooks (`transport: direct`, the default), or through the relayfile mount.',
  'gitlab-feedback.botUsernames':
    'The usernames the factory and its agents act as: a note that @mentions one is addressed to the agent; their own notes and pushes are never feedback.',
  'gitlab-feedback.commandPrefix': 'A merge request note that starts with it is addressed to the agent.',
  'gitlab-feedback.trustedAuthors':
    "Whose notes count: GitLab's note payload does not say the author's role on the project, so only listed usernames or ids are trusted.",
  'gitlab-feedback':
    'Review feedback on the merge requests: failed pipelines, notes addressed to the agent by trusted users, pushes by people.',
  gitlab: 'GitLab merge requests, through the REST API v4 and project webhooks.',
  'gitlab.token':
    'A personal, project or group access token, or an OAuth token; else the token `factory connect gitlab` stored.',
  'gitlab.webhookSecret': 'The secret token GitLab sends in X-Gitlab-Token.',
  jira: 'Jira Cloud issues, through its REST API v3 and admin webhooks.',
  'jira.token':
    'An API token (with `email`) or an OAuth token; else the token `factory connect jira` stored.',
  'jira.webhookSecret': 'The secret of the Jira admin webhook.',
  'linear-agent.trustedAuthors':
    'Who may answer in the session: roles creator, assignee (of the issue) and member (of the workspace), all by default; `users` lists Linear user ids trusted anyway; `roles: []` keeps only them.',
  'linear-agent':
    'Ask in the Linear agent session the issue was delegated in (needs a Linear intake in agent mode).',
  'linear.apiKey': 'A Linear API key or OAuth token; else the token `factory connect linear` stored.',
  'linear.webhookSecret': 'The signing secret of the Linear webhook.',
  'linear.mode':
    "`issues` (the default): ready issues come through Linear's Issue webhooks. `agent`: the factory is a Linear app people delegate issues to or mention; its progress shows in the agent session (install it with `factory connect linear`, which signs in with actor=app).",
  'linear.readyState': 'The state an issue must be in to be dispatched.',
  'linear.readyLabels': 'Labels an issue must carry to be dispatched.',
  'linear.stateIds': 'The workflow state ids the factory moves an issue to (relayfile writes ids).',
  linear:
    'Linear: issues through its API and webhooks (`transport: direct`, the default), or through the relayfile mount.',
  'provider.clientId': 'The OAuth app’s client id.',
  'provider.tokenUrl': 'The token endpoint, for a self-hosted vendor; the vendor’s default otherwise.',
  'provider.directOnly':
    'How the factory talks to the vendor: its API and webhooks (the only transport here).',
  'comments.trustedAuthors':
    'Who may answer: roles of the intake (github-issues: author_association values, default OWNER, MEMBER, COLLABORATOR; jira: reporter, assignee, member; linear: creator, assignee, member) and listed ids.',
  'slack.channel':
    'The channel id where questions are asked, e.g. C0123456789 (needed before the factory takes work).',
  'slack.botToken': 'The bot token; else the token `factory connect slack` stored.',
  'slack.signingSecret': 'The Slack app’s signing secret.',
  'slack.botUserId': 'The bot’s user id, whose own messages are never answers.',
  'slack.relayfile.channel':
    'The channel folder where questions are asked: <channel id>__<name> or the bare id.',
  'slack.relayfile.botUserId': 'The factory’s own user id, whose messages are not answers.',
  'slack.trustedAuthors':
    'Who may answer: by default a person replying in the channel (the mount lists no members, and only members post there); `users` adds ids, `roles: []` keeps only them.',
  slack:
    'Slack: a thread per question in one channel, through its Web API and Events API (`transport: direct`, the default), or through the relayfile mount.',
  'fleet.command': 'The agent command: a shell string, or an argv list run without a shell.',
  'fleet.repository': 'The git repository agents work in; relative to this file.',
  'fleet.stateDir': 'Where agent worktrees, logs and the registry live.',
  'fleet.passEnv': 'Names of the factory’s environment variables the agent also gets (e.g. its API key).',
  'fleet.env': 'Extra environment variables for the agent (not secrets: this file is not secret).',
  'fleet.url': 'The team’s fleet endpoint; the factory calls POST <url>/agents and so on.',
  'fleet.secret':
    'The shared HMAC secret signing requests both ways; callbacks arrive at /t/<tenant>/webhooks/fleet.',
  'fleet.timeout': 'How long one request may take (default 15s).',
  'fleet.token':
    'A token with actions:write; left out (and no `app`), the credentials store’s `github` token.',
  'fleet.workflow': 'The workflow file in the target repository.',
  'fleet.ref': 'The git ref the workflow runs from (default main).',
  'fleet.githubActions.repository': 'Run every agent in this repository instead of the route’s.',
  'fleet.baseUrl': 'The REST API; GitHub Enterprise Server uses https://HOST/api/v3.',
  'fleet.webhookSecret':
    'The secret of the workflow_run webhook at /t/<tenant>/webhooks/github-actions; without it exits are polled on the tick.',
  'fleet.agentRelay.baseUrl': 'A self-hosted relay API; Agent Relay cloud by default.',
  'fleet.cli': 'The harness nodes start, e.g. claude (spawn:<cli> placement).',
  fleet: 'Where agents run; needed by the commands that run work (`factory start`, deploys).',
  'tenant.id': 'The tenant id, as it appears in webhook URLs: /t/<id>/webhooks/<source>.',
  'tenant.path': 'A local folder in relayfile’s layout; relative to this file.',
  'tenant.intentProvider': 'Where work items come from.',
  'tenant.clarificationChannel': 'Where vague work items are asked about.',
  'tenant.outputTarget': 'Where agents deliver pull requests.',
  'tenant.mount': 'The files every provider with `transport: relayfile` reads and writes.',
  'tenant.adminToken':
    'Opens the read-only dashboard at /t/<tenant>/ (and status.json, metrics, healthz); off without it. At least 32 characters.',
  'task.text': 'The agent task with {{placeholders}}.',
  'task.file': 'A file holding the task text; relative to this file.',
  'secret-reference': 'A secret, given only as a reference to an environment variable, e.g.',
  // The core's trustedAuthorsSchema: its roles come between the first two.
  'trusted-authors.roles': 'Roles whose holders may answer',
  'trusted-authors.absent': "Absent: the channel's defaults.",
  'trusted-authors.users': 'Ids (or logins) who may answer whatever their role.',
  'trusted-authors': 'Who may answer a question: a reply from anyone else is ignored.',
  triage: 'How work items are triaged: by the routes’ rules, or by a model that reads them.',
};

const KEY = /#([A-Za-z][\w.-]*\w)/g;

/**
 * A description with each `#key` in it replaced by the key's text (a secret field's description is its
 * key followed by its default). Text that names no key is kept as written, as a provider registered from
 * outside writes it; a key without text throws, so a typo cannot reach the JSON Schema.
 */
export function expandFieldDocs(
  description: string,
  docs: Readonly<Record<string, string>> = FIELD_DOCS,
): string {
  return description.replace(KEY, (_, key: string) => {
    const text = docs[key];
    if (text === undefined) throw new Error(`no text for the config description key #${key} (field-docs.ts)`);
    return text;
  });
}
