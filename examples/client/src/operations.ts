import { graphql } from './gql';

export const SignIn = graphql(`
  mutation SignIn($username: String!, $password: String!) {
    generateToken(input: { username: $username, password: $password }) {
      __typename
      ... on AuthTokens { accessToken accessTokenExpiresAt refreshToken }
      ... on Error { code message }
    }
  }
`);

export const Refresh = graphql(`
  mutation Refresh($refreshToken: String!) {
    refreshToken(refreshToken: $refreshToken) {
      __typename
      ... on AuthTokens { accessToken accessTokenExpiresAt refreshToken }
      ... on Error { code message }
    }
  }
`);

export const Balances = graphql(`
  query Balances {
    accounts { id number currency balance { posted available version } }
  }
`);

export const WatchBalance = graphql(`
  subscription WatchBalance($accountId: ID!, $afterVersion: Int) {
    balanceUpdated(accountId: $accountId, afterVersion: $afterVersion) {
      version
      balance { posted available }
    }
  }
`);
