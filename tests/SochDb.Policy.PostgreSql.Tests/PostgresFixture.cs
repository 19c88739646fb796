using Npgsql;
using SochDb.Policy.PostgreSql;
using SochDb.Policy.TestServers;

namespace SochDb.Policy.PostgreSql.Tests;

/// <summary>One throwaway PostgreSQL server for every test of this assembly, stopped when they end.</summary>
public sealed class PostgresFixture : IDisposable
{
    private int _tables;

    public PostgresFixture()
    {
        Server = PostgresServer.Start();
    }

    public PostgresServer Server { get; }

    public string ConnectionString => Server.ConnectionString;

    /// <summary>A table name no other test uses.</summary>
    public string NewTableName(string purpose) => $"{purpose}_{Interlocked.Increment(ref _tables)}";

    public PostgresStore OpenNew(string purpose, int scanPageSize = 128) =>
        PostgresStore.Open(ConnectionString, new PostgresStoreOptions { TableName = NewTableName(purpose), ScanPageSize = scanPageSize });

    /// <summary>Runs one SQL statement on a connection of its own (not the store's pool) and returns the first column of the first row.</summary>
    public object? Sql(string sql)
    {
        using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false");
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    public void Dispose() => Server.Dispose();
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
