// Tally GraphiQL: the options handed to GraphiQL, which JSON from the server cannot carry
// (functions and React components).
const T = window.TallyGraphiQL;
T.graphiqlOptions = (serverOptions) => {
  const signedIn = Boolean(T.tokens.authorization());
  return {
    ...serverOptions,
    fetcher: T.fetcher,
    onTabChange: T.tabSubscriptions.onTabChange,
    tallyPlugins: [T.signInPlugin],
    // A newcomer lands on the sign-in panel; afterwards GraphiQL remembers what was open.
    ...(signedIn ? {} : { visiblePlugin: T.signInPlugin }),
  };
};
