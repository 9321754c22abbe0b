// Tally GraphiQL: the options handed to GraphiQL, which JSON from the server cannot carry
// (functions and React components).
const T = window.TallyGraphiQL;
T.graphiqlOptions = (serverOptions) => {
  // With our own fetcher, GraphiQL must not also get an endpoint (it would warn and ignore it).
  const { endpoint: _endpoint, ...options } = serverOptions;
  const signedIn = Boolean(T.tokens.authorization());
  return {
    ...options,
    fetcher: T.fetcher,
    onTabChange: T.tabSubscriptions.onTabChange,
    tallyPlugins: [T.signInPlugin],
    // A newcomer lands on the sign-in panel; afterwards GraphiQL remembers what was open.
    ...(signedIn ? {} : { visiblePlugin: T.signInPlugin }),
  };
};
