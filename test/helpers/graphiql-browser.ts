import type { Page, WebSocket as PageWebSocket } from 'playwright-core';

/** graphql-transport-ws messages the page sent, in order (to see which token each connect carried). */
export interface SentMessage {
  readonly type: string;
  readonly payload?: { authorization?: string };
}

/** Drives Tally's GraphiQL the way a developer does: the sign-in panel, the editors, the run button, the tabs. */
export class GraphiqlInBrowser {
  readonly sent: SentMessage[] = [];
  readonly closeCodes: number[] = [];

  constructor(readonly page: Page) {
    // A broken page script is the likeliest cause of a timeout below: say so in the test output.
    page.on('pageerror', (error) => process.stderr.write(`GraphiQL page error: ${error.message}\n`));
    page.on('websocket', (socket: PageWebSocket) => {
      socket.on('framesent', (frame) => {
        if (typeof frame.payload === 'string') this.sent.push(JSON.parse(frame.payload) as SentMessage);
      });
    });
  }

  async open(url: string): Promise<void> {
    await this.page.goto(`${url}/graphql`);
    await this.page.locator('.graphiql-query-editor .monaco-editor').first().waitFor({ timeout: 60_000 });
  }

  /** The panel's form: the sidebar button opens it when it is not open already. */
  async signIn(username: string, password: string): Promise<void> {
    await this.submitSignIn(username, password);
    await this.page.getByTestId('tally-signed-in').waitFor();
  }

  async submitSignIn(username: string, password: string): Promise<void> {
    await this.openPanel();
    await this.page.getByLabel('Username').fill(username);
    await this.page.getByLabel('Password', { exact: true }).fill(password);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
  }

  async signOut(): Promise<void> {
    await this.openPanel();
    await this.page.getByRole('button', { name: 'Sign out' }).click();
  }

  async pasteToken(accessToken: string): Promise<void> {
    await this.openPanel();
    await this.page.getByLabel(/paste an access token/i).fill(accessToken);
    await this.page.getByRole('button', { name: 'Use this token' }).click();
  }

  async openPanel(): Promise<void> {
    const panel = this.page.getByRole('region', { name: 'Tally sign-in' });
    if (!(await panel.isVisible())) await this.page.getByRole('button', { name: /Tally sign-in/ }).click();
    await panel.waitFor();
  }

  /** Replaces the active tab's query (one line: Monaco indents and closes brackets on typed newlines). */
  async setQuery(query: string): Promise<void> {
    await this.page.locator('.graphiql-query-editor .monaco-editor').first().click();
    await this.page.keyboard.press('ControlOrMeta+A');
    await this.page.keyboard.press('Delete');
    await this.page.keyboard.insertText(query);
    // GraphiQL parses the editor a moment later; running before that would send the old operation
    // name. The tab's title is the parsed operation's name, so wait for it.
    const name = /\b(?:query|mutation|subscription)\s+(\w+)/.exec(query)?.[1];
    if (name) await this.page.locator('.graphiql-tab-active').getByText(name, { exact: true }).waitFor();
  }

  async run(): Promise<void> {
    await this.page.getByRole('button', { name: /^Execute query/ }).click();
  }

  async newTab(): Promise<void> {
    await this.page.getByRole('button', { name: 'New tab' }).click();
  }

  async switchToTab(index: number): Promise<void> {
    await this.page.locator('.graphiql-tab-button').nth(index).click();
  }

  /** The result pane's text, with Monaco's non-breaking spaces and wrapped lines made plain. */
  async response(): Promise<string> {
    return (await this.page.locator('.graphiql-response').innerText()).replace(/[\s\u00a0]+/g, ' ');
  }

  /** GraphiQL's prettify button: a one-line query becomes readable (for people and screenshots). */
  async prettify(): Promise<void> {
    await this.page.getByRole('button', { name: /^Prettify query/ }).click();
    await this.scrollQueryToStart();
  }

  /** Typing one long line scrolls the editor sideways; this shows the query from its start. */
  async scrollQueryToStart(): Promise<void> {
    await this.page.locator('.graphiql-query-editor .monaco-editor').first().click();
    await this.page.keyboard.press('ControlOrMeta+Home');
  }

  /** Tokens that connection_init messages carried, in order. */
  connectTokens(): string[] {
    return this.sent.filter((message) => message.type === 'connection_init').map((message) => message.payload?.authorization ?? '');
  }

  countSent(type: string): number {
    return this.sent.filter((message) => message.type === type).length;
  }
}
