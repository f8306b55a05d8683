import { importOptionalPeer } from '@software-factory/sdk';
import type OpenAI from 'openai';

// Kept apart from the model's module, so that no declaration a user's compiler reads names the SDK's types.
export type OpenAiSdk = typeof OpenAI;

/**
 * `openai` is an optional peer dependency, loaded on first use; without it this rejects with
 * `MissingPeerError`: `triage.provider openai-compatible needs the package openai: npm install openai`.
 */
export async function loadOpenAiSdk(): Promise<OpenAiSdk> {
  const sdk = await importOptionalPeer('openai', 'triage.provider openai-compatible', () => import('openai'));
  return sdk.default;
}
