// The product version: package.json is its one source. src/ and dist/ both sit
// one level below the package root (and /app in the image), so the same
// relative path finds it from the sources (tsx) and from the build.
import { readFileSync } from 'node:fs';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
