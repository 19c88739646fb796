using BenchmarkDotNet.Running;

namespace SochDb.Policy.Benchmarks;

public static class Program
{
    // dotnet run -c Release --project benchmarks/SochDb.Policy.Benchmarks -- --filter '*' --job short
    // dotnet run -c Release --project benchmarks/SochDb.Policy.Benchmarks -- sweep-latency
    public static void Main(string[] args)
    {
        if (args is ["sweep-latency"])
        {
            SweepLatency.Run();
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
