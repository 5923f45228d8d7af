# The client behind test/data/queue/hold-emptybody.*: python3 THIS HOST PORT
import smtplib, sys
msg = (b"From: alice@example.com\r\n"
       b"To: bob@relay.test\r\n"
       b"Subject: empty body\r\n"
       b"Message-ID: <empty-body-1@client.example.org>\r\n"
       b"Date: Sat, 21 Nov 2026 12:00:00 +0000\r\n"
       b"\r\n")
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), local_hostname="client.example.org",
                 source_address=("127.0.0.1", 0))
s.sendmail("alice@example.com", ["bob@relay.test"], msg)
s.quit()
