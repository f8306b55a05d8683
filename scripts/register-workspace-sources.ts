// `node --import ./scripts/register-workspace-sources.ts <script>` runs a script of the clone with our
// package names resolved to their sources, and so do the Node processes it starts.
import { inheritWorkspaceSources, resolveWorkspaceToSources } from './workspace-sources.ts';

await resolveWorkspaceToSources();
inheritWorkspaceSources();
