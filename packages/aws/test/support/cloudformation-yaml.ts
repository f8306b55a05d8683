import { readFileSync } from 'node:fs';
import { parse, type Tags } from 'yaml';

/** CloudFormation's short-form intrinsics, read as their long form (`!Ref X` → `{ Ref: 'X' }`). */
const intrinsics = [
  'Ref',
  'GetAtt',
  'Sub',
  'Join',
  'Select',
  'Split',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'FindInMap',
  'GetAZs',
  'Base64',
  'ImportValue',
  'Condition',
];

function longForm(name: string, value: unknown): Record<string, unknown> {
  if (name === 'Ref' || name === 'Condition') return { [name]: value };
  if (name === 'GetAtt' && typeof value === 'string') return { 'Fn::GetAtt': value.split('.') };
  return { [`Fn::${name}`]: value };
}

const cloudFormationTags: Tags = intrinsics.flatMap((name) => [
  { tag: `!${name}`, resolve: (value: string) => longForm(name, value) },
  {
    tag: `!${name}`,
    collection: 'seq' as const,
    resolve: (value: { toJSON(): unknown }) => longForm(name, value.toJSON()),
  },
  {
    tag: `!${name}`,
    collection: 'map' as const,
    resolve: (value: { toJSON(): unknown }) => longForm(name, value.toJSON()),
  },
]);

export interface CloudFormationResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface CloudFormationTemplate {
  Transform?: string;
  Parameters?: Record<string, unknown>;
  Resources: Record<string, CloudFormationResource>;
  Outputs?: Record<string, unknown>;
}

export function parseCloudFormation(text: string): CloudFormationTemplate {
  return parse(text, { customTags: cloudFormationTags }) as CloudFormationTemplate;
}

export const TEMPLATE_PATH = new URL('../../template.yaml', import.meta.url);

export function readTemplate(): CloudFormationTemplate {
  return parseCloudFormation(readFileSync(TEMPLATE_PATH, 'utf8'));
}
