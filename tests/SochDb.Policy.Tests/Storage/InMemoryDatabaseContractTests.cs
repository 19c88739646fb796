namespace SochDb.Policy.Tests.Storage;

/// <summary>The store contract against the in-memory store.</summary>
public sealed class InMemoryDatabaseContractTests : KeyValueStoreContractTests
{
    protected override IKeyValueStore CreateStore() => Database.OpenInMemory();

    protected override void FailWritesOf(IKeyValueStore store, byte[] key) => ((InMemoryDatabase)store).FailWritesOf(key);
}
