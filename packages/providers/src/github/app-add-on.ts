import type { ProviderAddOn } from '../registry/provider-add-on.ts';
import { githubAppAuthOf } from './app-config.ts';
import { GITHUB_APP, type GithubAppPart } from './app-part.ts';

/**
 * GitHub App authentication (`app:` of the github and github-issues providers): the App's JWT and its
 * installation tokens. An add-on of GitHub's entries, so a bundle whose tenants use tokens does not carry it.
 */
export const githubApp: ProviderAddOn<GithubAppPart> = {
  addOn: GITHUB_APP,
  providers: ['github', 'github-issues'],
  title: 'GitHub App authentication',
  exportName: 'githubApp',
  part: { auth: githubAppAuthOf },
};
