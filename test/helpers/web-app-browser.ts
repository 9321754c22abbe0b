import type { Page } from 'playwright-core';

/** The Tally web app in a page, driven the way a customer uses it (labels and roles, not CSS). */
export class WebAppInBrowser {
  /** graphql-ws messages the page sent (connection_init, subscribe, complete, …). */
  private readonly sent: { type?: string; payload?: { variables?: Record<string, unknown> } }[] = [];

  constructor(readonly page: Page) {
    page.on('websocket', (socket) => {
      socket.on('framesent', (frame) => {
        const text = typeof frame.payload === 'string' ? frame.payload : frame.payload.toString('utf8');
        this.sent.push(JSON.parse(text) as (typeof this.sent)[number]);
      });
    });
  }

  countSent(type: string): number {
    return this.sent.filter((sent) => sent.type === type).length;
  }

  /** The afterVersion of every subscribe the page sent, in order. */
  subscribedAfterVersions(): unknown[] {
    return this.sent.filter((sent) => sent.type === 'subscribe').map((sent) => sent.payload?.variables?.afterVersion);
  }

  async open(baseUrl: string): Promise<void> {
    await this.page.goto(`${baseUrl}/app/`);
  }

  async signIn(username: string, password: string): Promise<void> {
    await this.page.getByLabel('Username').fill(username);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
    await this.page.getByRole('heading', { name: 'Your accounts' }).waitFor();
  }

  /** The account's card (a toggle button naming the account and its balances). */
  card(accountId: string) {
    return this.page.locator(`[data-account-id="${accountId}"]`);
  }

  async available(accountId: string): Promise<string> {
    return this.card(accountId).getByTestId('available').innerText();
  }

  async posted(accountId: string): Promise<string> {
    return this.card(accountId).getByTestId('posted').innerText();
  }
}
