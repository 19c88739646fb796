using SochDb.Policy.Tests.Storage;

namespace SochDb.Policy.PostgreSql.Tests;

/// <summary>The store contract, unchanged, against the PostgreSQL store (a fresh table per store).</summary>
[Trait("Category", "Slow")]
[Collection(PostgresCollection.Name)]
public sealed class PostgresContractTests(PostgresFixture postgres) : KeyValueStoreContractTests
{
    protected override IKeyValueStore CreateStore() => postgres.OpenNew("contract");

    protected override void FailWritesOf(IKeyValueStore store, byte[] key)
    {
        // A trigger on the table, created from a connection of its own: the store meets it like any other server error.
        string table = ((PostgresStore)store).TableName;
        string hex = Convert.ToHexString(key);
        postgres.Sql(
            "CREATE OR REPLACE FUNCTION sochdb_test_fail() RETURNS trigger LANGUAGE plpgsql AS " +
            "$$ BEGIN RAISE EXCEPTION 'failure arranged by the test'; END $$");
        postgres.Sql(
            $"CREATE TRIGGER \"fail_{hex}\" BEFORE INSERT OR UPDATE ON \"{table}\" FOR EACH ROW " +
            $"WHEN (NEW.k = '\\x{hex}'::bytea) EXECUTE FUNCTION sochdb_test_fail()");
    }

    protected override void AssertStoreFailure(Exception error)
    {
        // The documented PostgresStoreException (an IOException), naming the table, with the server's error inside.
        PostgresStoreException failure = Assert.IsType<PostgresStoreException>(error);
        Assert.Contains("failure arranged by the test", failure.Message);
        Assert.Contains("\"contract_", failure.Message);
        Assert.False(failure.OutcomeUnknown);
        Assert.IsType<Npgsql.PostgresException>(failure.InnerException);
    }
}
