import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * PDFs are checked by turning them back into text with `pdftotext` (Debian's poppler-utils). When
 * it is missing the setup installs it (apt-get update once, then apt-get install), with one
 * progress line; where that is not possible it fails in one line naming the command to run.
 */
function hasPdfToText(): boolean {
  try {
    execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function ensurePdfToText(): void {
  if (hasPdfToText()) return;
  process.stderr.write('pdftotext is missing: installing poppler-utils (apt-get update; apt-get install -y poppler-utils)\n');
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'poppler-utils'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch {
    // Reported below in one line.
  }
  if (!hasPdfToText()) throw new Error('pdftotext is missing and could not be installed here; run: apt-get update && apt-get install -y poppler-utils');
}

/** The text of a PDF, laid out as on the page (`pdftotext -layout`), pages separated by form feeds. */
export function pdfText(pdf: Uint8Array): string {
  const directory = mkdtempSync(join(tmpdir(), 'tally-pdf-'));
  try {
    const file = join(directory, 'document.pdf');
    writeFileSync(file, pdf);
    return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
