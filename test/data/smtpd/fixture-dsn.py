# The client behind test/data/queue/hold-dsn.*: python3 THIS HOST PORT
import smtplib, sys
msg = (b"From: Alice Example <alice@example.com>\r\n"
       b"To: Bob <bob@relay.test>, Carol <carol@relay.test>\r\n"
       b"Subject: DSN parameters test\r\n"
       b"Message-ID: <dsn-test-1@client.example.org>\r\n"
       b"Date: Sat, 21 Nov 2026 12:00:00 +0000\r\n"
       b"\r\n"
       b"This message was sent with RET=HDRS ENVID=... and per-recipient NOTIFY/ORCPT.\r\n")
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), local_hostname="client.example.org",
                 source_address=("127.0.0.1", 0))
s.ehlo("client.example.org")
s.mail("alice@example.com", ["RET=HDRS", "ENVID=QQ314159+2Benvid"])
s.rcpt("bob@relay.test", ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;Bob.Original@relay.test"])
s.rcpt("carol@relay.test", ["NOTIFY=NEVER"])
s.data(msg); s.quit()
