# exercises: access log: top client addresses, then top paths, by awk | sort | uniq -c | sort -rn
# status: 0
# gnu: same
echo "top clients:"
awk '{print $1}' access.log | sort | uniq -c | sort -rn -k1,1 -k2,2 | head -5
echo "top paths:"
cut -d'"' -f2 access.log | cut -d' ' -f2 | sort | uniq -c | sort -k1,1nr -k2,2 | head -5
echo "distinct clients: $(awk '{print $1}' access.log | sort -u | wc -l)"
