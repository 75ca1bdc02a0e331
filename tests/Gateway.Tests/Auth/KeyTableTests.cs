using System.Security.Cryptography;
using System.Text;
using Gateway.Auth;
using Gateway.Configuration.Model;

namespace Gateway.Tests.Auth;

public sealed class KeyTableTests
{
    private static readonly string HashedKey = "gw-hashed-key-0123456789";

    private static KeyTable Table() => KeyTable.Create(
    [
        new KeyConfig { Key = "gw-plain-key-0123456789", User = "alice", Groups = ["marketing"], Role = "finance" },
        new KeyConfig { Key = "sha256:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(HashedKey))), Name = "ci", User = "bot", Endpoints = ["chat"] },
    ]);

    [Fact]
    public void Plain_key_maps_to_its_user_groups_and_role_with_a_hash_based_id()
    {
        var identity = Table().Find("gw-plain-key-0123456789");

        Assert.NotNull(identity);
        Assert.Equal("alice", identity.User);
        Assert.Equal(["marketing"], identity.Groups);
        Assert.Equal(CallerRole.Finance, identity.Role);
        Assert.Matches("^key-[0-9a-f]{8}$", identity.KeyId);
        Assert.True(identity.MayCall("anything"));
    }

    [Fact]
    public void Hashed_key_is_found_by_the_key_itself_and_keeps_its_endpoint_list()
    {
        var identity = Table().Find(HashedKey);

        Assert.Equal("ci", identity?.KeyId);
        Assert.True(identity!.MayCall("chat"));
        Assert.False(identity.MayCall("embed"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("gw-plain-key-012345678")]
    [InlineData("gw-plain-key-01234567890")]
    [InlineData("GW-PLAIN-KEY-0123456789")]
    public void Anything_but_the_exact_key_is_refused(string presented)
    {
        Assert.Null(Table().Find(presented));
    }
}
