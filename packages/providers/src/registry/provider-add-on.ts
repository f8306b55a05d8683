/**
 * Code some tenants of a provider need and most do not (Linear's agent mode), kept out of the provider's
 * entry so a bundle carries it only when its registry is given it: `new ProviderRegistry([linearProvider,
 * linearAgentMode])`. The built-in `providerRegistry` carries every add-on; `factory deploy` adds one when
 * a tenant of the config uses it, or when the admin API is on (a tenant added there may use it).
 */
export interface ProviderAddOn<Part = unknown> {
  /** Its name, as an entry's `addOns` asks for it. */
  addOn: string;
  /** The types of the providers it extends (GitHub's App would extend `github` and `github-issues`). */
  providers: readonly string[];
  /** What it gives, for messages: "Linear's agent mode". */
  title: string;
  /** The name `@software-factory/providers/registry` exports it under, for messages. */
  exportName: string;
  part: Part;
}

/** An add-on one config of a provider needs, reported at `path` (under the role) when it is not carried. */
export interface AddOnNeed {
  addOn: string;
  path: string[];
  /** What the config asks for, for the message: "mode: agent". */
  asked: string;
}

/** The message for an add-on a config needs and the registry does not carry. */
export function addOnMissing(need: AddOnNeed): string {
  return `${need.asked} is not in this build: its providers carry no "${need.addOn}" add-on (register it with them; \`factory deploy\` adds it when a tenant of the config uses it, or when the admin API is on)`;
}
