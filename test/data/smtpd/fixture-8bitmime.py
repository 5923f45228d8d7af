# The client behind test/data/queue/hold-8bitmime.*: python3 THIS HOST PORT
import smtplib, sys
msg = ("From: J\u00fcrgen <juergen@example.com>\r\n"
       "To: bob@relay.test\r\n"
       "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
       "MIME-Version: 1.0\r\n"
       "Content-Type: text/plain; charset=UTF-8\r\n"
       "Content-Transfer-Encoding: 8bit\r\n"
       "Message-ID: <8bit-test-1@client.example.org>\r\n"
       "Date: Sat, 21 Nov 2026 12:00:00 +0000\r\n"
       "\r\n"
       "Gr\u00fc\u00dfe aus M\u00fcnchen! \u20ac 10,00 \u2014 na\u00efve caf\u00e9.\r\n"
       "Latin-1 byte follows: ").encode("utf-8") + b"\xe9\xe0\r\n"
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), local_hostname="client.example.org",
                 source_address=("127.0.0.1", 0))
s.ehlo("client.example.org")
s.mail("juergen@example.com", ["BODY=8BITMIME"])
s.rcpt("bob@relay.test")
s.data(msg); s.quit()
