using SochDb.Policy.Tests.Storage;

namespace SochDb.Policy.PostgreSql.Tests;

/// <summary>The store contract, unchanged, against the PostgreSQL store (a fresh table per store).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresContractTests(PostgresFixture postgres) : KeyValueStoreContractTests
{
    protected override IKeyValueStore CreateStore() => postgres.OpenNew("contract");
}
