/** The GitHub Actions fleet and its workflow_run source alone, without the other fleets' SDKs. */
export {
  GithubActionsFleet,
  type GithubActionsFleetOptions,
  type GithubTokenRequest,
} from './github-actions-fleet.ts';
export { runNameFor, runStatus } from './workflow-run.ts';
export {
  WorkflowRunWebhookSource,
  type WorkflowRunWebhookSourceOptions,
  workflowRunExit,
} from './workflow-run-webhook-source.ts';
