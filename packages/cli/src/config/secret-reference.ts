/**
 * Secret references resolve while the config parses; the resolver and the field schema live with the
 * tenant config schema in `@software-factory/providers/registry`, which every runtime shares.
 */
export {
  type Environment,
  SecretResolver,
  secretReference,
} from '@software-factory/providers/registry';
