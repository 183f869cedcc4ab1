/** Reading typed fields out of parsed JSON (a pack manifest, an export's config files), naming the field path in every error. */
import { readFileSync } from 'node:fs';
import { PackError } from '../errors.ts';

export type Json = unknown;

/** Reads typed fields out of parsed JSON, naming the field path in every error. */
export class Reader {
  constructor(
    readonly file: string,
    readonly value: Json,
    readonly at: string,
  ) {}

  fail(problem: string, field = this.at): never {
    throw new PackError(this.file, field, problem);
  }

  private child(key: string | number): Reader {
    const at = typeof key === 'number' ? `${this.at}[${key}]` : this.at ? `${this.at}.${key}` : key;
    const obj = this.value as Record<string | number, Json>;
    return new Reader(this.file, obj?.[key], at);
  }

  private object(): Record<string, Json> {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value)) this.fail(this.value === undefined ? 'is missing' : 'must be an object');
    return this.value as Record<string, Json>;
  }

  field(key: string): Reader {
    this.object();
    return this.child(key);
  }

  has(key: string): boolean {
    return (this.value as Record<string, Json>)[key] !== undefined;
  }

  string(): string {
    if (typeof this.value !== 'string' || this.value === '') this.fail(this.value === undefined ? 'is missing' : 'must be a non-empty string');
    return this.value;
  }

  number(check: (n: number) => boolean = () => true, what = 'a number'): number {
    if (this.value === undefined) this.fail('is missing');
    if (typeof this.value !== 'number' || !Number.isFinite(this.value) || !check(this.value)) this.fail(`must be ${what}, got ${JSON.stringify(this.value)}`);
    return this.value;
  }

  boolean(): boolean {
    if (typeof this.value !== 'boolean') this.fail(this.value === undefined ? 'is missing' : `must be true or false, got ${JSON.stringify(this.value)}`);
    return this.value;
  }

  positiveInt(): number {
    return this.number((n) => Number.isInteger(n) && n > 0, 'a positive integer');
  }

  array(): Reader[] {
    if (!Array.isArray(this.value)) this.fail(this.value === undefined ? 'is missing' : 'must be an array');
    return this.value.map((_, i) => this.child(i));
  }

  stringMap(): Record<string, string> {
    return Object.fromEntries(Object.keys(this.object()).map((k) => [k, this.child(k).string()]));
  }

  /** A string that must be one of `known`. */
  oneOf<T extends string>(known: readonly T[], what: string): T {
    const value = this.string();
    if (!(known as readonly string[]).includes(value)) this.fail(`unknown ${what} ${JSON.stringify(value)} (known: ${known.join(', ')})`);
    return value as T;
  }
}

/** A JSON file as a Reader (a PackError naming the file when it is not valid JSON). */
export function readJsonFile(file: string): Reader {
  let json: Json;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new PackError(file, '', `not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return new Reader(file, json, '');
}
