import type { Page } from 'playwright-core';

/** The Tally web app in a page, driven the way a customer uses it (labels and roles, not CSS). */
export class WebAppInBrowser {
  /** graphql-ws messages the page sent (connection_init, subscribe, complete, …). */
  private readonly sent: { type?: string; payload?: { variables?: Record<string, unknown> } }[] = [];

  /** Every websocket frame both ways and each open and close, with the socket's number and time. */
  private readonly frames: string[] = [];

  constructor(readonly page: Page) {
    let sockets = 0;
    page.on('websocket', (socket) => {
      const number = (sockets += 1);
      // Tokens and query texts are left out: the order of messages is what explains a failure.
      const note = (line: string) => this.frames.push(`${new Date().toISOString()} #${number} ${line.replace(/Bearer [^"]+/, 'Bearer …').replace(/"query":"[^"]*"/, '"query":…')}`);
      note('open');
      socket.on('close', () => note('closed'));
      socket.on('framereceived', (frame) => note(`<- ${textOf(frame.payload)}`));
      socket.on('framesent', (frame) => {
        note(`-> ${textOf(frame.payload)}`);
        this.sent.push(JSON.parse(textOf(frame.payload)) as (typeof this.sent)[number]);
      });
    });
  }

  /** Runs a step; when it fails, its error carries the frames so far (what the server sent after a reconnect). */
  async showingFramesOnFailure(step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (error) {
      if (error instanceof Error) error.message += `\nwebsocket frames:\n${this.frames.join('\n')}`;
      throw error;
    }
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

function textOf(payload: string | Buffer): string {
  return typeof payload === 'string' ? payload : payload.toString('utf8');
}
