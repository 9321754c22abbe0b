import type { Locator, Page } from 'playwright-core';

/** The operations console in a page, driven as an operator uses it: by labels, roles and the menu. */
export class ConsoleInBrowser {
  constructor(readonly page: Page) {}

  async open(baseUrl: string, username: string, password: string): Promise<void> {
    await this.page.goto(`${baseUrl}/app/`);
    await this.page.getByLabel('Username').fill(username);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
    await this.page.getByRole('heading', { name: 'Operations console' }).waitFor();
  }

  /** Opens a section from the console's menu and waits for its heading. */
  async section(name: 'Review queue' | 'Disputes' | 'Reconciliation' | 'Accounts' | 'Journal'): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Console sections' }).getByRole('button', { name, exact: true }).click();
    await this.page.getByRole('heading', { level: 2, name }).waitFor();
  }

  /** Presses an action's button inside `scope`, answers its confirmation dialog (with a note when given) and waits for it to close. */
  async act(scope: Locator, action: string, confirm: string, note?: string): Promise<void> {
    await scope.getByRole('button', { name: action, exact: true }).click();
    const dialog = this.page.getByRole('dialog');
    await dialog.waitFor();
    if (note !== undefined) await dialog.getByRole('textbox').fill(note);
    await dialog.getByRole('button', { name: confirm }).click();
    await dialog.waitFor({ state: 'hidden' });
  }

  /** The section's answer to its last action (a sentence and the ledger transaction it posted). */
  result(): Locator {
    return this.page.getByTestId('action-result');
  }

  /** Whether the page is wider than the window (a sideways scroll). */
  async scrollsSideways(): Promise<boolean> {
    const widths = await this.page.evaluate<{ scroll: number; client: number }>('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })');
    return widths.scroll > widths.client;
  }
}
