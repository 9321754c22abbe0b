// Tally GraphiQL: subscriptions that belong to a tab and outlive a visit to another tab.
//
// GraphiQL keeps one running operation for the whole page: switching tabs stops it, and after
// opening a new tab the run button there only stops the other tab's subscription. So a subscription here lives apart from GraphiQL, keyed by
// the tab it was started in. GraphiQL gets a view of it (an observable). When GraphiQL lets go of
// the view because the user switched tabs, the subscription stays "parked" and keeps the latest
// result; coming back to the tab runs it again, which attaches a new view to the same subscription
// (no new stream, the latest result at once). Stop in its own tab, a changed query, or closing
// the tab ends it.
const T = window.TallyGraphiQL;
/** After a tab change, let GraphiQL put the tab's editors in place before running it again. */
const REATTACH_DELAY_MS = 150;

let tabIds = new Set();
let activeTabId;
/** tab id -> LiveSubscription */
const byTab = new Map();

class LiveSubscription {
  constructor(params) {
    this.params = params;
    this.key = keyOf(params);
    this.latest = undefined;
    this.observer = null;
    this.parked = false;
    this.done = false;
    this.renewedAfterExpiry = false;
    this.start();
  }

  start() {
    const { query, variables, operationName } = this.params;
    this.unsubscribe = T.socket.client.subscribe(
      { query, variables: variables || undefined, operationName: operationName || undefined },
      {
        next: (result) => this.show(result),
        error: (error) => this.fail(error),
        complete: () => this.finish(),
      },
    );
  }

  show(result) {
    this.latest = result;
    if (this.observer) this.observer.next(result);
  }

  finish() {
    this.done = true;
    if (this.observer) this.observer.complete();
  }

  async fail(error) {
    // Expired under us (a computer that slept past the renewal): renew once and carry on.
    if (isCloseEvent(error) && error.code === T.socket.EXPIRED && T.tokens.canRenew() && !this.renewedAfterExpiry) {
      this.renewedAfterExpiry = true;
      if (await T.tokens.renew()) return this.start();
    }
    this.show({ errors: errorsOf(error) });
    this.finish();
  }

  attach(observer) {
    this.observer = observer;
    this.parked = false;
    if (this.latest !== undefined) observer.next(this.latest);
    if (this.done) observer.complete();
  }

  dispose() {
    this.done = true;
    this.observer = null;
    if (this.unsubscribe) this.unsubscribe();
  }
}

function isCloseEvent(value) {
  return Boolean(value) && typeof value.code === 'number' && 'reason' in value;
}

/** What the result pane shows for a failure: GraphQL errors as sent, a closed socket with its reason. */
function errorsOf(error) {
  if (Array.isArray(error)) return error;
  if (isCloseEvent(error)) return [{ message: T.socket.closeExplanation(error), extensions: { code: 'SOCKET_CLOSED', closeCode: error.code, reason: error.reason } }];
  if (error instanceof Error) return [{ message: error.message }];
  return [{ message: 'Could not open the live connection to the server (WebSocket /graphql).' }];
}

/**
 * Same text and variables: the same subscription. Not the operation name: GraphiQL sets that a
 * moment after a tab switch, so the run that re-attaches may still carry the other tab's.
 */
function keyOf({ query, variables }) {
  return JSON.stringify([query, variables || null]);
}

/** True when this run is the active tab's parked subscription coming back (GraphiQL's parse may lag the tab switch). */
function resumes(params) {
  const live = byTab.get(activeTabId);
  return Boolean(live && live.parked && live.key === keyOf(params));
}

/** Called by GraphiQL's fetcher for a subscription run in the active tab. */
function observe(params) {
  const tabId = activeTabId;
  let live = byTab.get(tabId);
  if (live && !(live.parked && live.key === keyOf(params))) {
    live.dispose();
    live = undefined;
  }
  if (!live) {
    live = new LiveSubscription(params);
    byTab.set(tabId, live);
  }
  const subscription = live;
  return {
    subscribe(observer) {
      subscription.attach(observer);
      return {
        unsubscribe() {
          if (subscription.observer === observer) subscription.observer = null;
          // GraphiQL calls this before it reports a tab change: decide once that has happened.
          setTimeout(() => settle(tabId, subscription), 0);
        },
      };
    },
  };
}

function settle(tabId, live) {
  if (live.observer || live.done) return;
  if (activeTabId !== tabId && tabIds.has(tabId)) {
    live.parked = true;
    return;
  }
  live.dispose();
  if (byTab.get(tabId) === live) byTab.delete(tabId);
}

/** GraphiQL's onTabChange: every tab switch, edit and result. */
function onTabChange({ tabs, activeTabIndex }) {
  const previous = activeTabId;
  tabIds = new Set(tabs.map((tab) => tab.id));
  activeTabId = tabs[activeTabIndex] && tabs[activeTabIndex].id;
  for (const [tabId, live] of byTab) {
    if (!tabIds.has(tabId)) {
      live.dispose();
      byTab.delete(tabId);
    } else if (tabId !== activeTabId && live.observer) {
      // A new tab (unlike a tab switch) leaves GraphiQL holding the other tab's subscription, and
      // its run button would only stop that one. Release GraphiQL (complete its view), keep ours.
      const observer = live.observer;
      live.observer = null;
      live.parked = true;
      setTimeout(() => observer.complete(), 0);
    }
  }
  if (activeTabId !== previous && byTab.get(activeTabId) && byTab.get(activeTabId).parked) {
    const tabId = activeTabId;
    setTimeout(() => reattach(tabId), REATTACH_DELAY_MS);
  }
}

/** Runs the tab again through GraphiQL's own button, so its Stop button and result pane follow the subscription. */
function reattach(tabId) {
  const live = byTab.get(tabId);
  const button = document.querySelector('.graphiql-execute-button');
  if (activeTabId !== tabId || !live || !live.parked || !button) return;
  if (!String(button.getAttribute('aria-label')).startsWith('Execute')) return;
  button.click();
}

T.tabSubscriptions = { observe, onTabChange, resumes };
