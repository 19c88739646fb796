using BenchmarkDotNet.Running;

namespace SochDb.Policy.Benchmarks;

public static class Program
{
    // dotnet run -c Release --project benchmarks/SochDb.Policy.Benchmarks -- --filter '*' --job short
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
