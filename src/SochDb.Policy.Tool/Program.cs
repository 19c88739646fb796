using System.CommandLine;
using SochDb.Policy.Tool;

RootCommand root = new("sochdb-policy: check a SochDb.Policy configuration, explain a decision, verify and read a decision log.")
{
    Commands.Check(),
    Commands.Explain(),
    Commands.Audit(),
};
return root.Parse(args).Invoke();
